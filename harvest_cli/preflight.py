"""What `harvest` checks before Spark starts: every mistake found here is one line and exit code 2.

A run that would fail on its registry, an unknown source id or a lake it cannot write must not
first spend half a minute starting Spark and then end in a traceback. Nor may a mistyped ``--lake``
start a first harvest somewhere new: a lake is a location whose ``catalog/`` holds something, and
only ``harvest init`` or ``harvest run --new-lake`` makes one. Nor does Spark start where Java is
missing or broken: one line says which java was found and how to install Java 17.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from harvest_cli.exit_codes import UsageError
from transforms import lake
from transforms.registry import RegistryError, Source, parse_registry, select_sources

JAVA_VERSION = 17  # AWS Glue 5.x runs Java 17, and Spark 3.5 is tested on it
INSTALL_JAVA = (
    f"install Java {JAVA_VERSION} (Debian: apt-get install openjdk-{JAVA_VERSION}-jre-headless) and put its "
    "java on PATH, or set JAVA_HOME to it"
)
JAVA_CHECK_TIMEOUT_S = 60
_JAVA_VERSION = re.compile(r'version "(1\.)?(\d+)')


def java_command() -> tuple[str | None, str]:
    """(the java Spark's launcher would run or None, where it looked): $JAVA_HOME/bin/java, else java on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        return str(Path(java_home, "bin", "java")), f"JAVA_HOME={java_home}"
    return shutil.which("java"), "PATH"


def checked_java() -> str:
    """The java Spark will start (as spark-class picks it); UsageError naming what was found when it is
    missing, does not run, or is not Java 17, so the operator reads one line instead of a Java trace."""
    java, where = java_command()
    if java is None:
        raise UsageError(f"Spark needs Java and there is no java on PATH (nor JAVA_HOME): {INSTALL_JAVA}")
    try:
        result = subprocess.run(
            [java, "-version"], capture_output=True, text=True, errors="replace", timeout=JAVA_CHECK_TIMEOUT_S
        )
    except (OSError, subprocess.SubprocessError) as error:
        found = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise UsageError(
            f"Spark needs Java and {java} (from {where}) does not run ({found}): {INSTALL_JAVA}"
        ) from None
    said = (result.stderr or result.stdout).strip()
    first = (
        "".join(ch if ch.isprintable() else "?" for ch in said.splitlines()[0][:200]) if said else "nothing"
    )
    match = _JAVA_VERSION.search(said)
    if result.returncode != 0 or match is None:
        raise UsageError(
            f"Spark needs Java and `{java} -version` (from {where}) failed (exit code {result.returncode}: "
            f"{first}): {INSTALL_JAVA}"
        )
    if int(match.group(2)) != JAVA_VERSION:
        raise UsageError(
            f"Spark here needs Java {JAVA_VERSION}; {java} (from {where}) is {first}: {INSTALL_JAVA}"
        )
    return java


def source_ids(only_sources: str) -> list[str]:
    """Comma-separated source ids as a list (blanks dropped)."""
    return [name.strip() for name in only_sources.split(",") if name.strip()]


def checked_registry(registry_uri: str, only_sources: str = "") -> list[Source]:
    """The sources a run would harvest; UsageError when the registry is missing or invalid or an id unknown."""
    try:
        text = lake.read_text(registry_uri)
    except OSError as error:
        raise UsageError(
            f"source registry {registry_uri} cannot be read: {error.strerror or error}"
        ) from error
    if text is None:
        raise UsageError(f"source registry not found at {registry_uri}")
    try:
        return select_sources(parse_registry(text), source_ids(only_sources))
    except RegistryError as error:
        raise UsageError(f"{registry_uri}: {error}") from error


def lake_mark_uri(lake_root: str) -> str:
    """The file ``harvest init`` (or ``run --new-lake``) writes, so a lake exists before its first version."""
    return lake.join(lake_root, "catalog", "LAKE.json")


def lake_exists(lake_root: str) -> bool:
    """True when ``catalog/`` holds something: a version, CURRENT, the history, or the new lake's mark."""
    return lake.folder_exists(lake.join(lake_root, "catalog"))


def no_lake(lake_root: str) -> UsageError:
    """The refusal of a lake that does not exist (a mistyped --lake, most likely)."""
    return UsageError(
        f"no lake at {lake_root} (nothing in its catalog/): check --lake; to start a new lake there, "
        f"run `harvest init --lake {lake_root}` or pass --new-lake"
    )


def existing_lake(lake_value: str) -> str:
    """The lake root (as ``resolved_lake``) of a lake that exists; UsageError naming it when none does."""
    lake_root = resolved_lake(lake_value)
    if not lake_exists(lake_root):
        raise no_lake(lake_root)
    return lake_root


def readable_lake(lake_value: str) -> str:
    """The lake root (as ``resolved_lake``) of a lake the read-only commands (report, history, record)
    can read: one that exists, or one whose runs all stopped before any catalog existed. UsageError
    naming it otherwise."""
    lake_root = resolved_lake(lake_value)
    if not lake_exists(lake_root) and not lake.folder_exists(lake.join(lake_root, "runs")):
        raise no_lake(lake_root)
    return lake_root


def create_lake(lake_root: str) -> bool:
    """Make ``lake_root`` a lake (write its mark) unless it is one; True when it was new."""
    if lake_exists(lake_root):
        return False
    mark = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "by": "harvest"}
    lake.create_exclusive(lake_mark_uri(lake_root), json.dumps(mark) + "\n")
    return True


def checked_lake(lake_root: str, new_lake: bool = False) -> str:
    """The lake root as the jobs get it (an absolute folder or an s3:// URI); UsageError when it is no
    lake (unless ``new_lake``: then it is made one) or cannot be written.

    A local lake is probed with a real write: permission bits do not tell the whole story (read-only
    mounts, root squash, a full disk).
    """
    lake_root = resolved_lake(lake_root)
    if not lake.is_s3(lake_root) and Path(lake_root).exists() and not Path(lake_root).is_dir():
        raise UsageError(f"lake {lake_root} is a file, not a folder: pass --lake a folder (or an s3:// URI)")
    if not new_lake and not lake_exists(lake_root):
        raise no_lake(lake_root)
    if not lake.is_s3(lake_root):
        try:
            Path(lake_root).mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=lake_root, prefix=".harvest-write-check-"):
                pass
        except OSError as error:
            raise UsageError(f"lake {lake_root} is not writable: {error.strerror or error}") from error
    create_lake(lake_root)
    return lake_root


def resolved_lake(lake_root: str) -> str:
    """A lake root as the commands name it: an absolute folder (links resolved), or the s3:// URI unchanged."""
    return lake_root if lake.is_s3(lake_root) else str(Path(lake_root).resolve())


def absolute_uri(uri: str) -> str:
    """A local path made absolute (the jobs may run with another working folder); s3:// URIs unchanged."""
    return uri if lake.is_s3(uri) else os.path.abspath(uri)
