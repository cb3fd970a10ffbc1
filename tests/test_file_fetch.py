"""file:// sources: the disk answers as a web server would (body, 304 from the validator, errors), and extract uses it."""

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from transforms.fetch.disk import crawl_folder, fetch_file, open_file
from transforms.fetch.extract import (
    DISK_FILES_PER_TASK,
    FILES_PER_TASK,
    MAX_FETCH_TASKS,
    extract_sources,
    fetch_tasks,
)
from transforms.fetch.http import FetchPolicy
from transforms.fetch.transport import read_document
from transforms.registry import RegistryError, Source, parse_registry

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"
POLICY = FetchPolicy(retries=0, allow_private_network=True)


def test_a_file_is_read_then_not_modified_until_it_changes(tmp_path):
    path = tmp_path / "record.xml"
    path.write_bytes(b"<metadata/>")
    first = fetch_file(path.as_uri(), POLICY)
    assert (first.status, first.body, first.error) == (200, b"<metadata/>", None)
    again = fetch_file(path.as_uri(), POLICY, first.etag)
    assert (again.not_modified, again.body, again.etag) == (True, None, first.etag)
    path.write_bytes(b"<metadata>changed</metadata>")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    changed = fetch_file(path.as_uri(), POLICY, first.etag)
    assert (changed.status, changed.body) == (200, b"<metadata>changed</metadata>")
    assert changed.etag != first.etag


def test_missing_big_and_refused_files_are_errors_with_reasons(tmp_path):
    missing = fetch_file((tmp_path / "gone.xml").as_uri(), POLICY)
    assert missing.error == f"could not read {(tmp_path / 'gone.xml').as_uri()}: No such file or directory"
    (tmp_path / "big.json").write_bytes(b"x" * 100)
    big = open_file((tmp_path / "big.json").as_uri(), FetchPolicy(max_catalog_bytes=10))
    assert (big.stream, big.error) == (
        None,
        f"{(tmp_path / 'big.json').as_uri()} is 100 bytes; the limit is 10 bytes",
    )
    refused = read_document((tmp_path / "big.json").as_uri(), FetchPolicy())
    assert refused.error.endswith("only a source with allow_private_network: true may read file:// URLs")
    assert fetch_file("file://example.gov/etc/passwd", POLICY).error.endswith(
        "names host 'example.gov'; a file:// URL can only read this machine's disk"
    )


def test_a_folder_crawl_lists_xml_files_in_path_order_and_stays_inside(tmp_path):
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ("z.xml", "a.XML", "notes.txt", "b/deep/c.xml", "b/a.xml"):
        (tmp_path / name).write_text("<x/>")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.xml"
    outside.write_text("<x/>")
    (tmp_path / "link.xml").symlink_to(outside)
    crawl = crawl_folder(tmp_path.as_uri(), POLICY)
    assert [
        Path(entry.url.removeprefix("file://")).relative_to(tmp_path).as_posix() for entry in crawl.files
    ] == ["a.XML", "z.xml", "b/a.xml", "b/deep/c.xml"]
    assert crawl.failure is None and all(entry.modified for entry in crawl.files)
    assert crawl_folder((tmp_path / "b" / "nothing").as_uri(), POLICY).failure.endswith(
        "does not exist or is not a folder"
    )
    (tmp_path / "empty").mkdir()
    assert crawl_folder((tmp_path / "empty").as_uri(), POLICY).failure.startswith(
        "found no .xml files in the folder"
    )


def test_folder_depth_and_count_caps_fail_the_crawl_instead_of_truncating_it(tmp_path):
    (tmp_path / "one" / "two").mkdir(parents=True)
    for name in ("a.xml", "one/b.xml", "one/two/c.xml"):
        (tmp_path / name).write_text("<x/>")
    deep = crawl_folder(tmp_path.as_uri(), replace(POLICY, max_waf_depth=1))
    assert deep.failure == (
        f"the folder {tmp_path / 'one' / 'two'} is more than 1 levels below the source's folder "
        "(max_waf_depth); the crawl would be incomplete"
    )
    assert crawl_folder(tmp_path.as_uri(), replace(POLICY, max_waf_listings=2)).failure == (
        "the source has more than 2 folders (max_waf_listings)"
    )
    assert crawl_folder(tmp_path.as_uri(), replace(POLICY, max_waf_files=2)).failure == (
        "the folder holds more than 2 .xml files (max_waf_files)"
    )
    whole = crawl_folder(
        tmp_path.as_uri(), replace(POLICY, max_waf_depth=2, max_waf_listings=3, max_waf_files=3)
    )
    assert whole.failure is None and len(whole.files) == 3


def test_a_file_read_is_capped_on_the_bytes_actually_read():
    # A file whose size on disk says nothing about what a read returns (as one that grows after the stat).
    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size != 0:
        pytest.skip("needs Linux /proc, whose files report size 0")
    result = fetch_file(status.as_uri(), replace(POLICY, max_body_bytes=10))
    assert (result.body, result.error) == (None, f"{status.as_uri()} is larger than the limit of 10 bytes")
    whole = fetch_file(status.as_uri(), POLICY)  # read on past the size the stat gave
    assert whole.error is None and whole.body.startswith(b"Name:") and b"\nPid:" in whole.body


def test_files_on_disk_are_fetched_in_fewer_larger_tasks_than_files_over_http():
    """A file on disk takes well under a millisecond: its tasks are sized by their own start, not by a network wait."""

    def source(source_id: str, url: str) -> Source:
        return Source(source_id, "t", "o", url, "waf", "iso19115", allow_private_network=True)

    disk, web = source("disk", "file:///data/waf/"), source("web", "https://example.gov/waf/")
    assert fetch_tasks({}, [disk, web]) == 1
    assert fetch_tasks({"disk": 3 * DISK_FILES_PER_TASK}, [disk, web]) == 3
    assert fetch_tasks({"web": 3 * FILES_PER_TASK}, [disk, web]) == 3
    assert fetch_tasks({"disk": DISK_FILES_PER_TASK + 1, "web": FILES_PER_TASK + 1}, [disk, web]) == 4
    assert fetch_tasks({"web": 10**9}, [disk, web]) == MAX_FETCH_TASKS


def test_the_registry_admits_file_urls_only_for_private_sources():
    entry = (
        "  - {id: disk, title: Disk, organization: O, url: 'file:///srv/waf/', type: waf, schema: iso19115"
    )
    assert parse_registry(f"sources:\n{entry}, allow_private_network: true}}\n")[0].url == "file:///srv/waf/"
    with pytest.raises(RegistryError, match="is a file:// URL, which reads the harvest machine's own disk"):
        parse_registry(f"sources:\n{entry}}}\n")


def test_extract_reads_file_sources_and_skips_unchanged_files(spark, tmp_path):
    shutil.copytree(FIXTURES / "waf", tmp_path / "waf")
    shutil.copy(FIXTURES / "docs" / "data.json", tmp_path / "data.json")
    sources = [
        Source(
            "disk-waf",
            "Disk WAF",
            "O",
            (tmp_path / "waf").as_uri() + "/",
            "waf",
            "iso19115",
            allow_private_network=True,
        ),
        Source(
            "disk-catalog",
            "Disk catalog",
            "O",
            (tmp_path / "data.json").as_uri(),
            "datajson",
            "dcatus1.1-federal",
            allow_private_network=True,
        ),
    ]
    records, statuses = extract_sources(spark, sources, None, POLICY)
    first = records.collect()
    assert {row.source_id: row.status for row in statuses.collect()} == {
        "disk-waf": "complete",
        "disk-catalog": "complete",
    }
    xml_files = sorted(path.as_uri() for path in (tmp_path / "waf").rglob("*.xml"))
    assert sorted(row.record_url for row in first if row.source_id == "disk-waf") == xml_files
    decoded = {
        row.record_url.rpartition("/")[2]: row.error or "ok" for row in first if row.source_id == "disk-waf"
    }
    assert decoded.pop("bad-bytes.xml").startswith("file is not valid UTF-8")
    assert set(decoded.values()) == {"ok"}
    assert any(row.source_id == "disk-catalog" for row in first)

    edited = tmp_path / "waf" / "coastal" / "tides.xml"
    edited.write_bytes(edited.read_bytes().replace(b"</", b" </", 1))
    validators = records.select("source_id", "record_url", "etag", "last_modified")
    again = {
        row.record_url: row.fetch_status
        for row in extract_sources(spark, sources[:1], validators, POLICY)[0].collect()
    }
    assert again == {url: "fetched" if url == edited.as_uri() else "not_modified" for url in xml_files}


def test_a_file_source_without_the_private_flag_fails_and_reads_nothing(spark, tmp_path):
    (tmp_path / "data.json").write_text('{"dataset": []}')
    source = Source("disk", "Disk", "O", (tmp_path / "data.json").as_uri(), "datajson", "dcatus1.1-federal")
    records, statuses = extract_sources(spark, [source], None, POLICY)
    [status] = statuses.collect()
    assert (status.status, records.count()) == ("failed", 0)
    assert status.reason.endswith("only a source with allow_private_network: true may read file:// URLs")
