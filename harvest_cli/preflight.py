"""What `harvest` checks before Spark starts: every mistake found here is one line and exit code 2.

A run that would fail on its registry, an unknown source id or a lake it cannot write must not
first spend half a minute starting Spark and then end in a traceback.
"""

import os
import tempfile
from pathlib import Path

from harvest_cli.exit_codes import UsageError
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


def checked_lake(lake_root: str) -> str:
    """The lake root as the jobs get it (an absolute folder or an s3:// URI); UsageError when unwritable.

    A local lake is created when missing and probed with a real write: permission bits do not tell
    the whole story (read-only mounts, root squash, a full disk).
    """
    if lake.is_s3(lake_root):
        return lake_root
    path = Path(lake_root).resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(f"lake {path} is a file, not a folder: pass --lake a folder (or an s3:// URI)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".harvest-write-check-"):
            pass
    except OSError as error:
        raise UsageError(f"lake {path} is not writable: {error.strerror or error}") from error
    return str(path)


def resolved_lake(lake_root: str) -> str:
    """A lake root as the commands name it: an absolute folder (links resolved), or the s3:// URI unchanged."""
    return lake_root if lake.is_s3(lake_root) else str(Path(lake_root).resolve())


def absolute_uri(uri: str) -> str:
    """A local path made absolute (the jobs may run with another working folder); s3:// URIs unchanged."""
    return uri if lake.is_s3(uri) else os.path.abspath(uri)
