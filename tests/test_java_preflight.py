"""Where Java is missing or broken, `harvest run` says so in one line before Spark starts (exit code 2,
what was found and how to install Java 17), instead of a Java trace; nothing is created."""

import os
import stat

import pytest

from harvest_cli import main as cli


@pytest.fixture
def registry(tmp_path) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text("sources: []\n")
    return str(path)


@pytest.fixture
def started(monkeypatch) -> list[dict]:
    """Workflows started (none should be: the workflow itself is never run here)."""
    runs: list[dict] = []
    monkeypatch.setattr("harvest_cli.workflow.run_workflow", lambda overrides, **_: runs.append(overrides))
    monkeypatch.setattr("harvest_cli.run_command.finish_run", lambda *args, **kwargs: 0)
    return runs


def fake_java_home(folder, script: str) -> str:
    """A JAVA_HOME whose bin/java is this shell script."""
    java = folder / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n" + script)
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return str(folder)


def refusal(capsys, registry, tmp_path) -> str:
    """The one line `harvest run` printed, after checking it refused with exit code 2 and made no lake."""
    code = cli.main(["run", "--sources", registry, "--lake", str(tmp_path / "lake"), "--new-lake"])
    out, err = capsys.readouterr()
    assert code == 2 and "Traceback" not in out + err and not (tmp_path / "lake").exists()
    (line,) = err.strip().splitlines()
    assert line.endswith(
        "install Java 17 (Debian: apt-get install openjdk-17-jre-headless) and put its java on PATH, "
        "or set JAVA_HOME to it"
    )
    return line


def test_no_java_at_all(capsys, started, registry, tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    line = refusal(capsys, registry, tmp_path)
    assert line.startswith("harvest run: Spark needs Java and there is no java on PATH (nor JAVA_HOME)")
    assert started == []


def test_a_java_home_without_java(capsys, started, registry, tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    line = refusal(capsys, registry, tmp_path)
    java = os.path.join(tmp_path, "jdk", "bin", "java")
    assert line.startswith(
        f"harvest run: Spark needs Java and {java} (from JAVA_HOME={tmp_path / 'jdk'}) does not run"
    )
    assert started == []


def test_a_broken_java(capsys, started, registry, tmp_path, monkeypatch):
    home = fake_java_home(tmp_path / "jdk", "echo 'Error: could not open libjvm.so' >&2\nexit 1\n")
    monkeypatch.setenv("JAVA_HOME", home)
    line = refusal(capsys, registry, tmp_path)
    assert (
        "-version` (from JAVA_HOME=" in line
        and "failed (exit code 1: Error: could not open libjvm.so)" in line
    )
    assert started == []


def test_another_java_version(capsys, started, registry, tmp_path, monkeypatch):
    home = fake_java_home(tmp_path / "jdk", "echo 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    monkeypatch.setenv("JAVA_HOME", home)
    line = refusal(capsys, registry, tmp_path)
    assert 'is openjdk version "11.0.2" 2019-01-15' in line and line.startswith(
        "harvest run: Spark here needs Java 17"
    )
    assert started == []


def test_java_17_passes(capsys, started, registry, tmp_path, monkeypatch):
    home = fake_java_home(tmp_path / "jdk", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2\n")
    monkeypatch.setenv("JAVA_HOME", home)
    assert cli.main(["run", "--sources", registry, "--lake", str(tmp_path / "lake"), "--new-lake"]) == 0
    assert len(started) == 1
