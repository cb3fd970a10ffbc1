"""What `harvest` checks before Spark starts: every mistake found here is one line and exit code 2.

A run that would fail on its registry, an unknown source id or a lake it cannot write must not
first spend half a minute starting Spark and then end in a traceback. Nor may a mistyped ``--lake``
start a first harvest somewhere new: a lake is a location whose ``catalog/`` holds something, and
only ``harvest init`` or ``harvest run --new-lake`` makes one.
"""

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from glue_jobs.exit_codes import UsageError
from transforms import lake
from transforms.registry import RegistryError, Source, parse_registry, select_sources


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
