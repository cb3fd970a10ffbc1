"""`make package`: what `harvest deploy` uploads, built into dist/.

- ``glue_harvester-<version>.zip``: the project as Glue's ``--extra-py-files`` takes it. It is the
  wheel's archive under a .zip name: a wheel is a zip with the packages at its root, so Python imports
  from it either way, but PySpark only puts ``.zip``, ``.egg`` and ``.jar`` files of
  ``spark.submit.pyFiles`` on the executors' path (``SparkContext.PACKAGE_EXTENSIONS``). A ``.whl``
  there reaches the driver only, and every task that imports the project fails on the executors.
- ``glue_harvester-<version>-py3-none-any.whl``: the wheel itself, for a pip install (the docker target).
- ``jobs/<stage>.py``: the five job scripts.

``python -m devtools.package [--dist dist]``
"""

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harvest_cli.aws_commands import STAGES

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Package:
    """The files of one build."""

    archive: Path
    wheel: Path
    scripts: list[Path]


def build_package(dist: Path, root: Path = ROOT) -> Package:
    """Build the wheel, the archive and the job scripts into ``dist`` (replacing an earlier build)."""
    dist.mkdir(parents=True, exist_ok=True)
    for old in [*dist.glob("glue_harvester-*.whl"), *dist.glob("glue_harvester-*.zip")]:
        old.unlink()
    shutil.rmtree(dist / "jobs", ignore_errors=True)
    # setuptools reuses build/lib, where a file deleted from the source would live on in the wheel.
    shutil.rmtree(root / "build", ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(root),
        ],
        check=True,
    )
    (wheel,) = dist.glob("glue_harvester-*.whl")
    archive = dist / (wheel.name.split("-py3-")[0] + ".zip")
    shutil.copyfile(wheel, archive)
    (dist / "jobs").mkdir()
    scripts = [Path(shutil.copy(root / "glue_jobs" / f"{stage}.py", dist / "jobs")) for stage in STAGES]
    return Package(archive, wheel, scripts)


def main(argv: list[str] | None = None) -> int:
    """Entry point: build and list the files."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.package",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dist", default="dist", help="output folder (default: dist)")
    built = build_package(Path(parser.parse_args(argv).dist))
    for path in (built.archive, built.wheel, *built.scripts):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
