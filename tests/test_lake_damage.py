"""The operator's commands on a lake with damage in it: a version whose VERSION.json is unreadable, a stray
folder and a symbolic link under runs/. Each command names what is damaged and goes on; none follows a
link out of the lake. No Spark."""

import json

from tests.test_cli import catalog_lake, harvest, last_line
from transforms.lake.catalog_state import read_pointer


def damage(tmp_path, version: str) -> str:
    """Overwrite a version's VERSION.json with something that is not JSON; returns the file's path."""
    marker = tmp_path / "catalog" / "versions" / version / "VERSION.json"
    marker.write_text('{"version": "' + version + '", "wri')
    return str(marker)


def test_pointer_lists_a_damaged_version_by_name_and_goes_on(capsys, tmp_path):
    lake = catalog_lake(tmp_path, ["v1", "v2", "v3"], ["v1", "v2", "v3"], "v2", "v1")
    marker = damage(tmp_path, "v3")
    code, out, _ = harvest(capsys, "pointer", "--lake", lake)
    assert code == 0
    assert out.splitlines()[:2] == ["CURRENT: v2", "complete versions, newest last: v1, v2"]
    assert last_line(out).startswith(f"damaged version v3: {marker} is not valid JSON (")


def test_pointer_naming_a_damaged_version_is_reported_not_raised(capsys, tmp_path):
    lake = catalog_lake(tmp_path, ["v1", "v2"], ["v1", "v2"], "v2", "v1")
    marker = damage(tmp_path, "v2")
    code, out, _ = harvest(capsys, "pointer", "--lake", lake)
    assert code == 1
    assert out.splitlines()[0].startswith(
        f"CURRENT: catalog pointer {tmp_path / 'catalog' / 'CURRENT'} names version v2, which is damaged "
        f"({marker} is not valid JSON ("
    )
    assert last_line(out).startswith("damaged version v2: ")
    code, out, _ = harvest(capsys, "pointer", "--lake", lake, "--set", "v1")  # the repair
    assert code == 0 and read_pointer(lake)["version"] == "v1"


def test_rollback_refuses_a_damaged_version_with_the_reason_and_rolls_back_to_a_sound_one(capsys, tmp_path):
    lake = catalog_lake(tmp_path, ["v1", "v2", "v3"], ["v1", "v2", "v3"], "v3", "v2")
    marker = damage(tmp_path, "v2")
    code, _, err = harvest(capsys, "rollback", "v2", "--lake", lake, "--yes")
    assert code == 2
    assert last_line(err).startswith(
        f"harvest rollback: catalog version v2 is damaged ({marker} is not valid"
    )
    assert last_line(err).endswith("): it cannot be made current")
    assert read_pointer(lake)["version"] == "v3"
    code, out, _ = harvest(capsys, "rollback", "v1", "--lake", lake, "--yes")
    assert code == 0 and read_pointer(lake)["version"] == "v1"


def a_lake_with_two_runs(tmp_path) -> str:
    """Runs r1 (oldest) and r2, each with a version; r2 current and reported complete."""
    lake = catalog_lake(tmp_path, ["r1", "r2"], ["r1", "r2"], "r2", "r1")
    report = tmp_path / "runs" / "r2" / "report" / "report.json"
    report.parent.mkdir()
    report.write_text(
        json.dumps({"run_id": "r2", "status": "succeeded", "outcome": "complete", "sources": []})
    )
    return lake


def test_report_and_prune_skip_a_stray_folder_under_runs(capsys, tmp_path):
    lake = a_lake_with_two_runs(tmp_path)
    stray = tmp_path / "runs" / "copy of r1"
    stray.mkdir()
    (stray / "manifest.json").write_text("not a manifest")
    code, out, _ = harvest(capsys, "report", "--lake", lake)
    assert code == 0 and out.startswith("Harvest run r2")
    code, out, _ = harvest(capsys, "prune", "--keep", "1", "--lake", lake, "--yes")
    assert code == 0 and last_line(out).startswith("removed 1 run folders and 0 catalog versions")
    assert sorted(path.name for path in (tmp_path / "runs").iterdir() if path.is_dir()) == [
        "copy of r1",
        "r2",
    ]


def test_prune_never_follows_a_symbolic_link_out_of_the_lake(capsys, tmp_path):
    lake_root = tmp_path / "lake"
    lake = a_lake_with_two_runs(lake_root.mkdir() or lake_root)
    outside = tmp_path / "outside"  # somebody's folder, shaped like an old run
    outside.mkdir()
    (outside / "manifest.json").write_text(json.dumps({"run_id": "r0", "started": "2026-01-01T00:00:00"}))
    (outside / "precious.txt").write_text("not the lake's")
    (lake_root / "runs" / "r0").symlink_to(outside, target_is_directory=True)
    (lake_root / "catalog" / "versions" / "r0").symlink_to(outside, target_is_directory=True)
    code, out, _ = harvest(capsys, "prune", "--keep", "1", "--lake", lake, "--yes")
    assert code == 0 and "run folders to remove (1): r1" in out
    assert (outside / "precious.txt").read_text() == "not the lake's"
    assert (lake_root / "runs" / "r0").is_symlink() and not (lake_root / "runs" / "r1").exists()
    code, out, _ = harvest(capsys, "report", "--lake", lake)
    assert code == 0 and out.startswith("Harvest run r2")
