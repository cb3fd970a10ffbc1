"""catalog/CURRENT is written atomically and read strictly: a damaged pointer is an error, never an empty catalog."""

import json
import threading
from pathlib import Path

import pytest

from glue_jobs import extract as extract_job
from harvest_cli import main as cli
from transforms import lake
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import (
    CatalogPointerError,
    current_version,
    next_version_id,
    read_pointer,
    switch_pointer,
)

REGISTRY = """
sources:
  - id: agency
    title: Agency
    organization: Agency
    url: https://agency.example.gov/data.json
    type: datajson
    schema: dcatus1.1-federal
"""


def complete(root: str, version: str, written: str = "2026-01-01T00:00:00") -> None:
    """A complete catalog version as far as the pointer is concerned: its VERSION.json."""
    info = {"version": version, "run_id": version.split(".")[0], "written": written}
    lake.write_text(lake.join(root, "catalog", "versions", version, "VERSION.json"), json.dumps(info))


@pytest.fixture
def root(tmp_path) -> str:
    root = str(tmp_path / "lake")
    complete(root, "v1", "2026-01-01T00:00:00")
    complete(root, "v2", "2026-01-02T00:00:00")
    switch_pointer(root, "v2", "v1")
    return root


def damage(root: str, text: str) -> None:
    Path(root, "catalog", "CURRENT").write_text(text)


def test_a_new_lake_has_no_current_version(tmp_path):
    assert read_pointer(str(tmp_path)) is None and current_version(str(tmp_path)) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "is empty"),
        ("  \n", "is empty"),
        ('{"version": "v2", "prev', "is not valid JSON"),
        ('{"previous": "v1"}', "does not name a catalog version"),
        ('{"version": "../../etc"}', "does not name a catalog version"),
        ('["v2"]', "does not name a catalog version"),
        ('{"version": "v9"}', "names version v9, which is missing or incomplete"),
    ],
)
def test_an_empty_or_corrupt_pointer_is_an_error_naming_the_file_and_the_repair(root, text, problem):
    damage(root, text)
    with pytest.raises(CatalogPointerError) as error:
        current_version(root)
    message = str(error.value)
    assert problem in message and str(Path(root, "catalog", "CURRENT")) in message
    assert f"harvest pointer --lake {root} --set VERSION" in message and "v1, v2" in message


def test_a_missing_pointer_beside_published_versions_is_an_error(root):
    Path(root, "catalog", "CURRENT").unlink()
    with pytest.raises(CatalogPointerError, match="is missing although the lake holds catalog versions"):
        current_version(root)


def test_a_run_cannot_start_on_an_empty_pointer_and_leaves_the_lake_free(root, tmp_path):
    """The reported data loss: an emptied pointer read as 'no catalog' made the next run's base empty."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    damage(root, "")
    argv = [
        "extract.py",
        "--lake",
        root,
        "--sources",
        str(registry),
        "--run-id",
        "r3",
        "--only-sources",
        "agency",
    ]
    with pytest.raises(CatalogPointerError, match="is empty"):
        extract_job.main(argv)
    assert not Path(root, "runs", "r3", "manifest.json").exists()
    assert lake_lock.holder(root) is None


def test_harvest_pointer_repairs_a_damaged_pointer(root, capsys):
    damage(root, "garbage")
    assert cli.main(["pointer", "--lake", root]) == 1
    assert "not valid JSON" in capsys.readouterr().out
    assert cli.main(["pointer", "--lake", root, "--set", "v9"]) == 2  # not a complete version
    assert cli.main(["pointer", "--lake", root, "--set", "v2"]) == 0
    assert current_version(root) == "v2"
    assert lake_lock.holder(root) is None


def test_pointer_writes_are_atomic_under_concurrent_writers(tmp_path):
    target = str(tmp_path / "catalog" / "CURRENT")
    texts = [json.dumps({"version": f"v{n}", "padding": "x" * 20_000}) for n in range(4)]

    def write(text: str) -> None:
        for _ in range(25):
            lake.write_text(target, text)

    threads = [threading.Thread(target=write, args=(text,)) for text in texts]
    seen = set()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        seen.add(Path(target).read_text() if Path(target).exists() else None)
    for thread in threads:
        thread.join()
    assert seen - {None} <= set(texts)  # a reader never saw a partial or mixed file
    assert sorted(p.name for p in (tmp_path / "catalog").iterdir()) == ["CURRENT"]  # no temp file left


def test_a_new_version_never_reuses_a_folder(root):
    assert next_version_id(root, "r3") == "r3"
    Path(root, "catalog", "versions", "r3").mkdir()  # an attempt that crashed mid-write
    assert next_version_id(root, "r3") == "r3.2"
    with pytest.raises(CatalogPointerError, match="missing or incomplete"):
        switch_pointer(root, "r3", "v2")
    assert current_version(root) == "v2"
