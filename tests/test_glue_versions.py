"""One Glue version choice: the Makefile's GLUE_VERSION, the stack's GlueVersion and the pins files agree."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.glue_python import (
    GLUE_PROVIDED,
    default_glue_version,
    glue_pins_file,
    glue_provided_pins,
    glue_versions,
)
from tests.conftest import ROOT


def _make_variable(name: str, operator: str) -> str:
    """The value the main Makefile gives a variable with ``operator`` (``:=`` or ``?=``)."""
    text = (ROOT / "Makefile").read_text("utf-8")
    (value,) = re.findall(rf"^{name}\s*{re.escape(operator)}\s*(.*)$", text, flags=re.MULTILINE)
    return value.strip()


def _pinned_versions() -> set[str]:
    return {
        path.name.removeprefix("requirements-glue-").removesuffix(".txt")
        for path in ROOT.glob("requirements-glue-*.txt")
    }


def _make(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-s", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_makefile_stack_and_pins_offer_the_same_versions_and_default():
    offered_by_make = set(_make_variable("GLUE_VERSIONS", ":=").split())
    assert offered_by_make == set(glue_versions()) == _pinned_versions()
    assert _make_variable("GLUE_VERSION", "?=") == default_glue_version()


@pytest.mark.parametrize("glue_version", glue_versions())
def test_each_version_pins_exactly_what_glue_provides_and_its_own_awsglue(glue_version):
    pins = glue_provided_pins(glue_version)
    versions = {pin.split("==")[0].lower(): pin.split("==")[1] for pin in pins}
    assert set(versions) == set(GLUE_PROVIDED)
    # The awsglue library is released per Glue version (5.0.0, 5.1.0): the file name and its pin must agree.
    assert versions["awsgluedataplanepython"].startswith(f"{glue_version}.")


def test_the_versions_ship_different_sparks():
    sparks = {
        glue_version: dict(pin.split("==") for pin in glue_provided_pins(glue_version))["pyspark"]
        for glue_version in glue_versions()
    }
    assert len(set(sparks.values())) == len(sparks), sparks


@given(st.from_regex(r"\A[0-9]{1,2}\.[0-9]{1,2}\Z"))
def test_a_version_without_pins_is_refused_with_the_versions_that_have_them(glue_version):
    if glue_pins_file(glue_version).is_file():
        return
    with pytest.raises(ValueError) as refused:
        glue_provided_pins(glue_version)
    message = str(refused.value)
    assert f"no pins for Glue '{glue_version}'" in message
    assert all(version in message for version in _pinned_versions())


def test_make_refuses_an_unknown_glue_version_before_doing_anything():
    result = _make("help", "GLUE_VERSION=4.0")
    assert result.returncode != 0 and not result.stdout
    assert "GLUE_VERSION=4.0 is not a supported Glue version" in result.stderr


def test_glue_version_never_reaches_a_commands_environment():
    """Glue sets GLUE_VERSION in its jobs, and the jobs read it as "running on Glue": make must not pass it on."""
    probe = 'glue-version-probe: ; @echo "[$$GLUE_VERSION]"'
    result = _make("--eval", probe, "glue-version-probe", "GLUE_VERSION=5.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("glue_version", glue_versions())
def test_the_chosen_version_drives_the_pins_the_wheels_check_and_the_emulation(glue_version):
    """What make would run (``make -n``) for each version: its pins, its check, its own emulation venv."""
    install = _make("-n", "install", f"GLUE_VERSION={glue_version}", "VENV=.venv-glue-versions-probe")
    assert f"-r requirements-glue-{glue_version}.txt -r requirements-dev.txt" in install.stdout, (
        install.stderr
    )
    check = _make("-n", "check-glue-wheels", f"GLUE_VERSION={glue_version}")
    assert f"check-wheels --glue-version {glue_version}" in check.stdout, check.stderr
    # With a venv there (this interpreter's), checking a version runs the check alone: no reinstall.
    in_a_venv = _make(
        "-n", "check-glue-wheels", f"GLUE_VERSION={glue_version}", f"BIN={Path(sys.executable).parent}"
    )
    assert in_a_venv.stdout.splitlines() == [
        f"{Path(sys.executable).parent}/python -m devtools.glue_python check-wheels --glue-version {glue_version}"
    ], in_a_venv.stderr
    emulation = _make("-n", "-o", ".venv/.installed", "glue-submit-run", f"GLUE_VERSION={glue_version}")
    assert f"--glue-version {glue_version} " in emulation.stdout
    assert f"--venv .venv-glue-{glue_version}" in emulation.stdout, emulation.stderr
