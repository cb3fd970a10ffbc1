"""Per-source schedules: the registry's frequency, the sources a scheduled run picks, and the run pinning them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.lake.harvest_times import read_source_harvests, record_source_harvests
from transforms.lake.manifest import pin_run, read_manifest
from transforms.registry import (
    FREQUENCIES,
    SCHEDULE_SLACK,
    RegistryError,
    Source,
    due_sources,
    parse_registry,
)

ENTRY = """
  - id: {id}
    title: {id}
    organization: Agency
    url: https://example.gov/{id}/data.json
    type: datajson
    schema: dcatus1.1-federal
"""
MIXED = "sources:" + "".join(
    ENTRY.format(id=source_id) + extra
    for source_id, extra in (
        ("every-day", "    frequency: daily\n"),
        ("by-default", ""),
        ("each-week", "    frequency: weekly\n"),
        ("fortnightly", "    frequency: biweekly\n"),
        ("each-month", "    frequency: monthly\n"),
        ("by-hand", "    frequency: manual\n"),
        ("switched-off", "    frequency: daily\n    enabled: false\n"),
    )
)
START = datetime(2026, 11, 2, 6, 0, 5, tzinfo=UTC)  # a Monday, five seconds after the hourly trigger


def picked(sources: list[Source], last: dict, now: datetime) -> list[str]:
    return [source.id for source in due_sources(sources, last, now)]


def test_the_registry_takes_data_gov_frequencies_and_notification_settings():
    sources = {source.id: source for source in parse_registry(MIXED)}
    assert sources["by-default"].frequency == "daily"
    assert sources["each-month"].frequency == "monthly" and sources["by-hand"].frequency == "manual"
    assert sources["by-default"].notification_frequency == "on_error"
    assert sources["by-default"].notification_emails == ()
    text = (
        "sources:"
        + ENTRY.format(id="a")
        + (
            "    notification_emails: [ops@example.gov, ' gis@example.gov ']\n"
            "    notification_frequency: on_error_or_update\n"
        )
    )
    (source,) = parse_registry(text)
    assert source.notification_emails == ("ops@example.gov", "gis@example.gov")
    assert source.notification_frequency == "on_error_or_update"


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "    frequency: hourly\n",
            "field 'frequency' must be one of manual, daily, weekly, biweekly, monthly",
        ),
        ("    notification_frequency: never\n", "must be one of always, on_error, on_error_or_update"),
        ("    notification_emails: ops@example.gov\n", "must be a list of e-mail addresses"),
        ("    notification_emails: [ops]\n", "'ops' is not an e-mail address"),
        ("    notification_emails: ['a@b.gov, c@d.gov']\n", "is not an e-mail address"),
    ],
)
def test_a_bad_schedule_or_notification_setting_is_named(extra, problem):
    with pytest.raises(RegistryError, match="sources\\[0\\] \\(id 'a'\\).*") as refused:
        parse_registry("sources:" + ENTRY.format(id="a") + extra)
    assert problem in str(refused.value)


def test_a_new_lake_harvests_every_enabled_scheduled_source():
    assert picked(parse_registry(MIXED), {}, START) == [
        "every-day",
        "by-default",
        "each-week",
        "fortnightly",
        "each-month",
    ]


def test_each_source_is_picked_again_once_its_frequency_has_passed():
    sources = parse_registry(MIXED)
    last = dict.fromkeys((s.id for s in sources), START)  # everything harvested by the first run
    assert picked(sources, last, START + timedelta(hours=1)) == []
    assert picked(sources, last, START + timedelta(days=1) - timedelta(seconds=5)) == [
        "every-day",
        "by-default",
    ]
    assert picked(sources, last, START + timedelta(days=7)) == ["every-day", "by-default", "each-week"]
    assert picked(sources, last, START + timedelta(days=14)) == [
        "every-day",
        "by-default",
        "each-week",
        "fortnightly",
    ]
    assert "each-month" not in picked(sources, last, START + timedelta(days=29))
    assert "each-month" in picked(sources, last, START + timedelta(days=30))
    assert "by-hand" not in picked(sources, last, START + timedelta(days=3650))
    assert "switched-off" not in picked(sources, last, START + timedelta(days=3650))


@given(
    frequency=st.sampled_from([name for name, interval in FREQUENCIES.items() if interval]),
    delays=st.lists(st.integers(min_value=0, max_value=29 * 60), min_size=1, max_size=12),
)
def test_an_hourly_trigger_keeps_each_source_on_its_slot_whatever_a_run_s_start_delay(frequency, delays):
    """Rule: with the trigger every hour and each run starting up to half an hour late, a source is harvested
    exactly every ``interval``: a late start neither pushes its next harvest an hour later nor pulls it earlier."""
    (source,) = parse_registry("sources:" + ENTRY.format(id="a") + f"    frequency: {frequency}\n")
    interval = FREQUENCIES[frequency]
    assert interval is not None and interval > SCHEDULE_SLACK
    tick = datetime(2026, 1, 1, tzinfo=UTC)
    last: dict[str, datetime] = {}
    harvests = []
    for delay in delays:
        while not due_sources([source], last, tick + timedelta(seconds=delay)):
            tick += timedelta(hours=1)
        harvests.append(tick)
        last["a"] = tick + timedelta(seconds=delay)  # when that run started
        tick += timedelta(hours=1)
    assert all(later - earlier == interval for earlier, later in zip(harvests, harvests[1:], strict=False))


def write_registry(tmp_path, text: str) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return str(path)


def test_a_scheduled_run_pins_the_sources_due_and_a_resume_keeps_them(tmp_path):
    lake, registry = str(tmp_path / "lake"), write_registry(tmp_path, MIXED)
    record_source_harvests(lake, ["every-day", "by-default", "each-week"], START.isoformat())
    later = START + timedelta(days=1)
    manifest = pin_run(lake, "r1", registry, False, "", lambda: None, due_only=True, now=later)
    assert manifest.due_sources == ["every-day", "by-default", "fortnightly", "each-month"]
    assert [s.id for s in manifest.sources()] == manifest.due_sources
    # Another run harvests everything meanwhile, and a week passes: the resumed run still harvests its own.
    record_source_harvests(lake, [s.id for s in parse_registry(MIXED)], later.isoformat())
    again = pin_run(
        lake, "r1", registry, False, "", lambda: None, due_only=True, now=later + timedelta(days=7)
    )
    assert again == manifest == read_manifest(lake, "r1")
    assert [s.id for s in again.sources()] == ["every-day", "by-default", "fortnightly", "each-month"]
    pinned = json.loads((tmp_path / "lake" / "runs" / "r1" / "manifest.json").read_text())
    assert pinned["due_only"] is True and pinned["due_sources"] == manifest.due_sources


def test_a_scheduled_run_with_nothing_due_harvests_nothing(tmp_path):
    lake, registry = str(tmp_path / "lake"), write_registry(tmp_path, MIXED)
    record_source_harvests(lake, [s.id for s in parse_registry(MIXED)], START.isoformat())
    manifest = pin_run(
        lake, "r2", registry, False, "", lambda: None, due_only=True, now=START + timedelta(hours=1)
    )
    assert manifest.due_sources == [] and manifest.sources() == []


def test_named_sources_ignore_the_schedule_and_a_plain_run_takes_every_enabled_source(tmp_path):
    lake, registry = str(tmp_path / "lake"), write_registry(tmp_path, MIXED)
    record_source_harvests(lake, [s.id for s in parse_registry(MIXED)], START.isoformat())
    named = pin_run(
        lake, "r3", registry, False, "by-hand,switched-off", lambda: None, due_only=True, now=START
    )
    assert [s.id for s in named.sources()] == ["by-hand", "switched-off"]
    plain = pin_run(lake, "r4", registry, False, "", lambda: None, now=START)
    assert [s.id for s in plain.sources()] == [
        "every-day",
        "by-default",
        "each-week",
        "fortnightly",
        "each-month",
        "by-hand",
    ]


def test_source_harvest_times_accumulate_run_after_run(tmp_path):
    lake = str(tmp_path / "lake")
    assert read_source_harvests(lake) == {}
    record_source_harvests(lake, ["a", "b"], "2026-11-02T06:00:05+00:00")
    record_source_harvests(lake, ["b"], "2026-11-03T06:00:07+00:00")
    assert read_source_harvests(lake) == {
        "a": datetime(2026, 11, 2, 6, 0, 5, tzinfo=UTC),
        "b": datetime(2026, 11, 3, 6, 0, 7, tzinfo=UTC),
    }
