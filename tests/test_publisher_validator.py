"""`harvest validate`: a publisher's own check of a real data.json, XML record or WAF, with no lake and no Spark."""

import json
import os
import subprocess
import sys
import time

from devtools.local_http import serve_folder
from harvest_cli.main import main
from tests.conftest import ROOT

WITH_NONE = "datajson/datagov-harvester/dcatus_with_none.json"
MODIFIED_NULL = "schema: $.modified: is not an ISO 8601 date, datetime or repeating interval"


def validate(capsys, *arguments) -> tuple[int, dict]:
    code = main(["validate", "--json", *arguments])
    return code, json.loads(capsys.readouterr().out)


def test_real_catalog_with_invalid_records_fails_with_its_errors_grouped(realdata, capsys):
    code, summary = validate(capsys, str(realdata / WITH_NONE), "--schema", "dcatus1.1-non-federal")
    assert code == 1
    # 402 datasets, 391 of them with "modified": null (tests/test_schema_validation.py)
    assert (summary["extracted"], summary["rejected"]) == (402, 391)
    [group] = summary["error_groups"]
    assert (group["reason"], group["count"], group["field"]) == (MODIFIED_NULL, 391, "$.modified")
    # one problem per record here, so the group holds every rejected record once
    assert sum(g["count"] for g in summary["error_groups"]) == summary["rejected"]
    assert len(summary["records"]) == 402


def test_the_federal_schema_is_the_default_for_a_data_json(realdata, capsys):
    code, summary = validate(capsys, str(realdata / WITH_NONE))
    assert code == 1 and summary["schema"] == "dcatus1.1-federal" and summary["rejected"] == 402
    assert summary["error_groups"][0]["reason"] == "schema: $.bureauCode: required field is missing"


def test_a_valid_real_catalog_passes(realdata, capsys):
    code, summary = validate(capsys, str(realdata / "datajson/catalog.data.gov/data.json"))
    assert code == 0 and summary["extracted"] == 8 and summary["rejected"] == 0
    assert {record["outcome"] for record in summary["records"]} == {"publishable"}


def test_a_document_that_is_not_a_catalog_is_not_harvestable(realdata, capsys):
    code, summary = validate(capsys, str(realdata / "datajson/ckanext-geodatagov/sample6_bad_data.json"))
    assert code == 1 and summary["status"] == "failed" and "JSON is not valid" in summary["reason"]


def test_xml_records_and_a_waf_folder_go_through_the_crosswalk(realdata, capsys):
    code, summary = validate(capsys, str(realdata / "waf/mdTranslator/fgdc_invalid.xml"), "--schema", "fgdc")
    assert code == 1 and summary["error_groups"][0]["reason"].startswith("transform: unknown root element")
    code, summary = validate(capsys, str(realdata / "waf/datagov-harvester/iso_2_waf"))
    reasons = {group["reason"] for group in summary["error_groups"]}
    assert code == 1 and summary["type"] == "waf" and summary["extracted"] == 6
    assert "file is not valid UTF-8 (from the XML declaration)" in reasons
    assert "schema: $.description: required field is missing" in reasons
    assert any(group["reason"].startswith("fixup: ") for group in summary["warning_groups"])


def test_a_url_goes_through_the_harvests_address_guard(realdata, capsys):
    with serve_folder(realdata / "datajson" / "datagov-harvester") as base_url:
        url = base_url + "dcatus_with_none.json"
        # refused as the registry refuses such a source: before anything is fetched
        assert main(["validate", url, "--schema", "dcatus1.1-non-federal"]) == 2
        assert "127.0.0.1, which is loopback; pass --allow-private-network" in capsys.readouterr().err
        code, summary = validate(capsys, url, "--schema", "dcatus1.1-non-federal", "--allow-private-network")
    assert code == 1 and summary["rejected"] == 391
    assert summary["error_groups"][0]["reason"] == MODIFIED_NULL


def test_text_output_names_the_field_documentation_and_a_wrong_schema_is_a_usage_error(realdata, capsys):
    assert main(["validate", str(realdata / WITH_NONE), "--schema", "dcatus1.1-non-federal"]) == 1
    text = capsys.readouterr().out
    assert "402 record(s): 11 would be published, 391 would be rejected" in text
    assert "https://resources.data.gov/resources/dcat-us/#modified" in text
    assert main(["validate", str(realdata / WITH_NONE), "--schema", "fgdc"]) == 2
    assert "must be one of dcatus1.1-federal" in capsys.readouterr().err


def test_validate_answers_in_seconds_without_starting_spark(realdata):
    # SPARK_HOME pointing nowhere: starting a Spark session would fail the command.
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SPARK_HOME": "/nonexistent"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "harvest_cli.main", "validate", str(realdata / WITH_NONE)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "402 record(s)" in done.stdout
    assert elapsed < 60  # about 3 s on an idle machine, most of it importing jsonschema's format checkers
