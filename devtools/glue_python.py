"""The Python of an AWS Glue 5.x job: what Glue provides, what it installs at each job start, and whether that installs.

Glue 5.0 and 5.1 run CPython 3.11 on Amazon Linux 2023 (x86_64, glibc 2.34) with pyspark, boto3,
numpy, pandas, pyarrow and their own awsglue library installed, at versions of their own
(``requirements-glue-<version>.txt``); everything else a job imports comes through
``--additional-python-modules`` (the stack's ``AdditionalPythonModules``, one list for both), installed
by pip at every job start. Glue cannot compile native code then, so each of those needs a binary wheel
for that platform.

``python -m devtools.glue_python check-wheels --glue-version 5.1`` (``make check-glue-wheels``) checks that.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harvest_cli.workflow import load_template

ROOT = Path(__file__).resolve().parents[1]
# The libraries Glue itself provides, pinned per Glue version in requirements-glue-<version>.txt.
GLUE_PROVIDED = ("pyspark", "boto3", "numpy", "pandas", "pyarrow", "awsgluedataplanepython")
# glibc 2.34 runs every manylinux wheel up to manylinux_2_34; pip does not expand a manylinux_2_x tag to the
# older ones by itself, so they are all named (manylinux2014/2010/1 are the legacy names of 2_17/2_12/2_5).
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(34, 4, -1)] + [
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
]
# The platform of every supported Glue version (5.0 and 5.1 alike); Glue 6.x would need its own (docs/AWS.md).
TARGET = ["--python-version", "3.11", "--implementation", "cp", "--only-binary=:all:"] + [
    option for platform in PLATFORMS for option in ("--platform", platform)
]


def _name(requirement: str) -> str:
    """The normalized project name of a requirement specifier (``psycopg[binary]==3`` -> ``psycopg``)."""
    return re.split(r"[\[=<>!~;\s]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def glue_versions(template: dict | None = None) -> list[str]:
    """The Glue versions the stack offers (its GlueVersion parameter's AllowedValues)."""
    template = template or load_template()
    return [str(version) for version in template["Parameters"]["GlueVersion"]["AllowedValues"]]


def default_glue_version(template: dict | None = None) -> str:
    """The Glue version the stack deploys unless told otherwise (GlueVersion's Default)."""
    template = template or load_template()
    return str(template["Parameters"]["GlueVersion"]["Default"])


def glue_pins_file(glue_version: str, root: Path = ROOT) -> Path:
    """The requirements file pinning what Glue ``glue_version`` provides."""
    return root / f"requirements-glue-{glue_version}.txt"


def glue_provided_pins(glue_version: str, root: Path = ROOT) -> list[str]:
    """The pins of the libraries Glue ``glue_version`` provides; ValueError for a version without its file."""
    requirements = glue_pins_file(glue_version, root)
    if not requirements.is_file():
        known = sorted(
            path.name[len("requirements-glue-") : -len(".txt")]
            for path in root.glob("requirements-glue-*.txt")
        )
        raise ValueError(
            f"no pins for Glue {glue_version!r} ({requirements.name}); pinned: {', '.join(known) or 'none'}"
        )
    lines = [line.split("#")[0].strip() for line in requirements.read_text("utf-8").splitlines()]
    pins = [line for line in lines if line]
    found = {_name(pin).replace("-", "") for pin in pins}
    if found != set(GLUE_PROVIDED) or len(pins) != len(GLUE_PROVIDED):
        raise ValueError(
            f"{requirements.name} must pin exactly {', '.join(GLUE_PROVIDED)} (found {', '.join(sorted(found))})"
        )
    return pins


def additional_python_modules(template: dict | None = None) -> list[str]:
    """The stack's AdditionalPythonModules (its default), one requirement specifier each."""
    template = template or load_template()
    value = template["Parameters"]["AdditionalPythonModules"]["Default"]
    return [module.strip() for module in value.split(",") if module.strip()]


def _pip(python: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "pip", *arguments], capture_output=True, text=True, check=False)


def _pip_error(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    return "; ".join(lines) or result.stderr.strip()[-500:]


def missing_binary_wheels(
    modules: list[str], provided: list[str], glue_version: str, python: str = sys.executable
) -> list[str]:
    """One message per problem; empty when every module installs on Glue ``glue_version`` from binary wheels only.

    First each module on its own (so the message names it), then all of them with every dependency
    they pull in at the versions Glue provides (a native dependency behind an extra, like
    ``psycopg[binary]`` -> ``psycopg-binary``, is only seen there).
    """
    problems = []
    with tempfile.TemporaryDirectory(prefix="glue-wheels-") as folder:
        for module in modules:
            result = _pip(python, "download", "--quiet", "--no-deps", *TARGET, "-d", folder, module)
            if result.returncode:
                problems.append(
                    f"{module}: no wheel for Glue {glue_version} (CPython 3.11, manylinux x86_64, glibc 2.34): "
                    f"{_pip_error(result)}"
                )
        if not problems:
            # Glue's own libraries as constraints: a module depending on them gets Glue's version, and
            # pyspark (an sdist on PyPI, preinstalled on Glue) is never fetched.
            constraints = Path(folder, "glue-provided.txt")
            constraints.write_text("\n".join(provided) + "\n", "utf-8")
            result = _pip(
                python,
                "install",
                "--quiet",
                "--dry-run",
                "--ignore-installed",
                *TARGET,
                "--target",
                str(Path(folder, "target")),
                "-c",
                str(constraints),
                *modules,
            )
            if result.returncode:
                problems.append(
                    f"a dependency of {', '.join(modules)} has no wheel for Glue {glue_version}: "
                    f"{_pip_error(result)}"
                )
    return problems


def build_glue_venv(venv: Path, glue_version: str, template: dict | None = None) -> Path:
    """A virtual environment holding only what a Glue ``glue_version`` job has; returns its python.

    Glue's own libraries at that version's pins and the stack's AdditionalPythonModules, the
    project not installed. Kept between runs, and made again when either list changes.
    """
    wanted = glue_provided_pins(glue_version) + additional_python_modules(template)
    python, stamp = venv / "bin" / "python", venv / ".glue-installed"
    if stamp.is_file() and stamp.read_text("utf-8").splitlines() == wanted and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = _pip(str(python), "install", "--quiet", *wanted)
    if result.returncode:
        raise RuntimeError(f"cannot build {venv}: {_pip_error(result)}")
    stamp.write_text("\n".join(wanted) + "\n", "utf-8")
    return python


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m devtools.glue_python check-wheels``."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.glue_python",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["check-wheels"])
    parser.add_argument(
        "--glue-version",
        choices=glue_versions(),
        default=default_glue_version(),
        help="the Glue version to check against (default: the stack's GlueVersion default)",
    )
    args = parser.parse_args(argv)
    modules = additional_python_modules()
    problems = missing_binary_wheels(modules, glue_provided_pins(args.glue_version), args.glue_version)
    for problem in problems:
        print(f"check-glue-wheels: {problem}", file=sys.stderr)
    if problems:
        print(
            "check-glue-wheels: Glue cannot compile native code at job start: pin a version that ships a "
            "manylinux x86_64 wheel for CPython 3.11 (or a pure-Python one) in AdditionalPythonModules "
            "and requirements.txt",
            file=sys.stderr,
        )
        return 1
    print(
        f"check-glue-wheels: all {len(modules)} modules and their dependencies have wheels for Glue "
        f"{args.glue_version} (at {glue_pins_file(args.glue_version).name})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
