"""The database's note of which lake catalog version it reflects (table catalog.lake_sync).

Load marks the database ``applying`` (with the version it is about to publish) before it changes a
row, and ``synced`` with the new current version once the lake pointer has switched. Anything else
the next load finds (``applying`` left by a crash, a version that is not the lake's CURRENT, no note
at all) means the table may differ from the lake, and it is reconciled before new changes go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from transforms import lake

if TYPE_CHECKING:  # the lake-only path never imports the database driver
    import psycopg

APPLYING, SYNCED = "applying", "synced"
UPSERT = """INSERT INTO catalog.lake_sync (singleton, lake, state, version, run_id, updated_at)
VALUES (true, %(lake)s, %(state)s, %(version)s, %(run_id)s, now())
ON CONFLICT (singleton) DO UPDATE SET lake = excluded.lake, state = excluded.state, version = excluded.version,
    run_id = excluded.run_id, updated_at = excluded.updated_at"""


@dataclass(frozen=True)
class SyncNote:
    """What the database says it reflects."""

    lake: str
    state: str
    version: str | None
    run_id: str | None

    def matches(self, lake_root: str, version: str | None) -> bool:
        """True when the table is known to equal ``version`` of this lake."""
        return self.lake == lake_key(lake_root) and self.state == SYNCED and self.version == version


def lake_key(lake_root: str) -> str:
    """The lake as the note names it: an s3:// URI, or a folder's absolute path."""
    return lake_root.rstrip("/") if lake.is_s3(lake_root) else str(Path(lake_root).resolve())


def read_note(conn: psycopg.Connection) -> SyncNote | None:
    """The database's note, or None when no load or reconcile has written one."""
    row = conn.execute("SELECT lake, state, version, run_id FROM catalog.lake_sync").fetchone()
    return SyncNote(*row) if row else None


def write_note(
    conn: psycopg.Connection, lake_root: str, state: str, version: str | None, run_id: str
) -> None:
    """Record the database's state (in the caller's transaction)."""
    conn.execute(UPSERT, {"lake": lake_key(lake_root), "state": state, "version": version, "run_id": run_id})
