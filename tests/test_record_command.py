"""`harvest record SOURCE IDENTIFIER` on a lake two real runs wrote: the bundled samples served over
loopback HTTP, then a day on which the data.json edited one dataset and dropped another (and the
DCAT-US 3.0 catalog did not change, so its verdicts are carried).

What the command prints is held to what the publisher served (the sample files on disk, read here
independently of the harvester) and to the runs' own report.json, never to itself.
"""

import contextlib
import io
import json
import shutil

import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import main

pytestmark = pytest.mark.e2e
REGISTRY = """sources:
  - id: agency
    title: Example Agency data.json
    organization: Example Agency
    url: "{base}datajson/data.json"
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
  - id: agency-dcat3
    title: Example Agency data.json (DCAT-US 3.0)
    organization: Example Agency
    url: "{base}datajson3/data.json"
    type: datajson
    schema: dcatus3.0
    allow_private_network: true
  - id: waf
    title: Example WAF
    organization: Example Science Center
    url: "{base}waf/"
    type: waf
    schema: iso19115
    allow_private_network: true
"""
EDITED, DROPPED, REJECTED = (f"https://data.example.gov/id/sample-00{n}" for n in (1, 6, 7))
NEW_TITLE = "Sample dataset one, retitled"


def quietly(argv: list[str]) -> tuple[int, str]:
    """Exit code and stdout of one in-process harvest command (stdout as the progress lines see it too)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def days(tmp_path_factory, spark) -> dict:
    """Two runs of the samples into one lake; the second after the data.json was edited."""
    root = tmp_path_factory.mktemp("record")
    www, lake = root / "www", root / "lake"
    shutil.copytree(SAMPLES / "www", www)
    catalog_path = www / "datajson" / "data.json"
    runs, outputs = ["day-1", "day-2"], []
    with serve_folder(www) as base:
        registry = root / "sources.yaml"
        registry.write_text(REGISTRY.format(base=base))
        argv = ["run", "--sources", str(registry), "--lake", str(lake)]
        outputs.append(quietly([*argv, "--new-lake", "--run-id", runs[0]]))
        catalog = json.loads(catalog_path.read_text("utf-8"))
        for dataset in catalog["dataset"]:
            if dataset["identifier"] == EDITED:
                dataset["title"] = NEW_TITLE
        catalog["dataset"] = [d for d in catalog["dataset"] if d["identifier"] != DROPPED]
        catalog_path.write_text(json.dumps(catalog, indent=2), "utf-8")
        outputs.append(quietly([*argv, "--run-id", runs[1]]))
    assert [code for code, _ in outputs] == [0, 0], outputs
    return {"lake": lake, "www": www, "base": base, "catalog": catalog, "runs": runs, "outputs": outputs}


def record(days, *argv) -> tuple[int, str]:
    return quietly(["record", *argv, "--lake", str(days["lake"])])


def story(days, source: str, identifier: str) -> dict:
    code, out = record(days, source, identifier, "--json")
    assert code == 0
    return json.loads(out)


def report(days, run_id: str) -> dict:
    return json.loads((days["lake"] / "runs" / run_id / "report" / "report.json").read_text("utf-8"))


def test_an_edited_record_was_created_then_updated_and_shows_what_the_publisher_now_serves(days):
    told = story(days, "agency", EDITED)
    assert [(e["run_id"], e["outcome"]) for e in told["history"]] == [
        ("day-1", "created"),
        ("day-2", "updated"),
    ]
    served = next(d for d in days["catalog"]["dataset"] if d["identifier"] == EDITED)
    assert told["raw"]["run_id"] == "day-2" and json.loads(told["raw"]["raw"]) == served
    assert told["dcat"]["run_id"] == "day-2" and json.loads(told["dcat"]["dcat_json"])["title"] == NEW_TITLE
    assert told["published"]["version"] == "day-2" and told["published"]["last_changed_run"] == "day-2"


def test_a_dropped_record_is_deleted_and_keeps_the_text_it_last_had(days):
    told = story(days, "agency", DROPPED)
    assert [e["outcome"] for e in told["history"]] == ["created", "deleted"]
    assert told["published"] is None
    original = json.loads((SAMPLES / "www" / "datajson" / "data.json").read_text("utf-8"))
    assert json.loads(told["raw"]["raw"]) == next(
        d for d in original["dataset"] if d["identifier"] == DROPPED
    )
    assert told["raw"]["run_id"] == "day-1"


def test_a_rejected_record_gives_every_reason_of_its_latest_outcome(days):
    code, text = record(days, "agency", REJECTED)
    assert code == 0
    reasons = next(
        group["reason"]
        for source in report(days, "day-2")["sources"]
        if source["source_id"] == "agency"
        for group in source["error_groups"]
        if REJECTED in group["examples"]
    )
    told = story(days, "agency", REJECTED)
    assert [e["outcome"] for e in told["history"]] == ["rejected", "rejected"]
    # the report groups reasons with the record's own values taken out; the record keeps them whole
    assert any("hasEmail" in reason for reason in told["latest"]["reasons"]) and "hasEmail" in reasons
    assert "latest outcome, run day-2: rejected" in text
    assert all(f"  reason: {reason}" in text for reason in told["latest"]["reasons"])


def test_a_waf_record_shows_the_xml_file_as_served(days):
    identifier = f"{days['base']}waf/coastal/seafloor-sediment.xml"
    told = story(days, "waf", identifier)
    assert [e["outcome"] for e in told["history"]] == ["created", "unchanged"]
    served = (days["www"] / "waf" / "coastal" / "seafloor-sediment.xml").read_text("utf-8")
    assert told["raw"]["raw_format"] == "xml"
    assert told["raw"]["raw"].split() == served.split()  # decoded text, whitespace as the file has it
    assert json.loads(told["dcat"]["dcat_json"])["identifier"]


def test_a_carried_record_is_reported_unchanged_in_the_run_that_carried_it(days):
    first = report(days, "day-1")
    created = next(s for s in first["sources"] if s["source_id"] == "agency-dcat3")
    assert report(days, "day-2")["carried"]["sources"] == ["agency-dcat3"]
    identifier = "https://data.example.gov/id/v3/park-trails"
    told = story(days, "agency-dcat3", identifier)
    assert [e["outcome"] for e in told["history"]] == ["created", "unchanged"] and created["created"]
    assert told["raw"]["run_id"] == "day-1"  # the carried day read nothing


def test_unknown_source_and_identifier_are_refused_with_near_names(days, capsys):
    lake = str(days["lake"])
    assert main(["record", "agencey", EDITED, "--lake", lake]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith("harvested source 'agencey'; did you mean agency or agency-dcat3?")
    )
    assert main(["record", "agency", EDITED.replace("001", "01"), "--lake", lake]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harvest record: source agency has no record") and f"did you mean {EDITED}" in err


def test_the_stage_lines_say_what_they_count(days):
    lines = [line for line in days["outputs"][1][1].splitlines() if line.startswith("[")]
    extract, validate = lines[0], lines[3]
    # what the publisher served on day 2, counted from the files, not from the harvest
    served = len(days["catalog"]["dataset"]) + len(list((days["www"] / "waf").rglob("*.xml")))
    assert extract.endswith(f"sources 3, records read {served}, carried sources 1")
    carried = next(s for s in report(days, "day-1")["sources"] if s["source_id"] == "agency-dcat3")
    assert f"records read {served}, records carried {carried['extracted']}, deletes 1," in validate


def test_the_report_page_shows_the_command_for_a_rejected_record(days):
    page = (days["lake"] / "runs" / "day-2" / "report" / "report.html").read_text("utf-8")
    assert f"harvest record agency {REJECTED} --lake {days['lake']}" in page
