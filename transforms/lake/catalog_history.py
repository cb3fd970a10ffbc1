"""The catalog's history: one JSON line per operator action on the published catalog.

    catalog/HISTORY.jsonl   {"at": <ISO time>, "action": "rollback" | "prune", "by": <user>, ...}

It answers "who moved CURRENT back, when, and from what" after the fact; nothing reads it to
decide anything.
"""

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path

from transforms import lake


def history_uri(lake_root: str) -> str:
    """Where the history file is."""
    return lake.join(lake_root, "catalog", "HISTORY.jsonl")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def record_history(lake_root: str, action: str, **details) -> str:
    """Append one entry; returns the history file's URI."""
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "action": action,
        "by": _user(),
        **details,
    }
    line = json.dumps(entry) + "\n"
    uri = history_uri(lake_root)
    if lake.is_s3(uri):  # S3 has no append: small file, read and rewritten
        lake.write_text(uri, (lake.read_text(uri) or "") + line, "application/x-ndjson")
    else:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        with open(uri, "a", encoding="utf-8") as history:
            history.write(line)
    return uri


def read_history(lake_root: str) -> list[dict]:
    """Every entry, oldest first."""
    text = lake.read_text(history_uri(lake_root)) or ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
