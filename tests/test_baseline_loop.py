"""data.gov's serial loop over a generated tree served by a real loopback HTTP server: full and hash-only modes."""

import json

import pytest

from benchmarks.baseline import PROJECT_SCHEMA, datajson_urls, disk_records, http_records, run_loop
from benchmarks.generate import generate
from devtools.local_http import serve_folder


@pytest.fixture
def tree(tmp_path):
    """60 data.json records in 3 sources, 3 of them schema-invalid (5%)."""
    generate(tmp_path, 60, sources=3, seed=5, xml_share=0, invalid_share=0.05)
    return tmp_path


def _edit_first_datajson(root, edit) -> None:
    path = sorted((root / "www" / "datajson").glob("*/data.json"))[0]
    catalog = json.loads(path.read_text("utf-8"))
    edit(catalog["dataset"])
    path.write_text(json.dumps(catalog), "utf-8")


def test_full_loop_over_http_hashes_and_validates_every_record(tree):
    with serve_folder(tree / "www") as base_url:
        full = run_loop(http_records(datajson_urls(tree, base_url)), "full")
    assert (full.records, full.validated, full.invalid, len(full.hashes)) == (60, 60, 3, 60)


def test_unchanged_reharvest_in_hash_only_mode_validates_nothing(tree):
    with serve_folder(tree / "www") as base_url:
        urls = datajson_urls(tree, base_url)
        full = run_loop(http_records(urls), "full")
        again = run_loop(http_records(urls), "hash-only", previous=full.hashes)
    assert (again.records, again.changed, again.validated, again.invalid) == (60, 0, 0, 0)


def test_hash_only_mode_validates_the_changed_and_new_records_only(tree):
    with serve_folder(tree / "www") as base_url:
        urls = datajson_urls(tree, base_url)
        full = run_loop(http_records(urls), "full")

        def edit(datasets):
            datasets[0]["title"] = "A new title"
            datasets[1].pop("description")  # now invalid
            datasets.append({**datasets[2], "identifier": "NEW-1"})

        _edit_first_datajson(tree, edit)
        again = run_loop(http_records(urls), "hash-only", previous=full.hashes)
    assert (again.records, again.changed, again.validated, again.invalid) == (61, 3, 3, 1)


def test_full_mode_validates_unchanged_records_too(tree):
    first = run_loop(disk_records(tree), "full")
    again = run_loop(disk_records(tree), "full", previous=first.hashes)
    assert (again.records, again.changed, again.validated) == (60, 0, 60)


def test_an_unknown_mode_is_refused(tree):
    with pytest.raises(ValueError, match="hash-only"):
        run_loop(disk_records(tree), "sample")


def test_without_shared_the_loop_falls_back_to_a_schema_the_project_ships():
    # The harvester's own schema comes from ../shared; a clone without it validates with the project's.
    assert PROJECT_SCHEMA.is_file()
    assert json.loads(PROJECT_SCHEMA.read_text())["$schema"].endswith("2020-12/schema")
