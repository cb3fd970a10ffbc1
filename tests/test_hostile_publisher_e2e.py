"""The whole workflow with hostile publishers beside good ones: the run succeeds, the good sources
publish, every hostile record is one rejection, a slow source fails alone, a partly readable WAF
deletes nothing, and the counts add up. Every hostile fixture is written here."""

import json
import shutil
from pathlib import Path

import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest
from tests.rows import valid_dataset
from transforms.lake.catalog_state import read_pointer, read_state
from transforms.schemas import COUNT_NAMES, RECORD_OUTCOMES

pytestmark = pytest.mark.e2e

VALID = valid_dataset()


def dataset(identifier: str, **changes) -> str:
    return json.dumps({**VALID, "identifier": identifier, **changes})


def deep_chain(levels: int) -> str:
    return '{"name": "o", "subOrganizationOf": ' * levels + '{"name": "top"}' + "}" * levels


HOSTILE_DATASETS = [
    dataset("surrogate").replace("Samples.", "the agency\\udc92s samples"),  # repaired, with a warning
    dataset("big-integer", size=0).replace('"size": 0', '"size": 123456789012345678901234567890'),
    dataset(
        "keywords", keyword=[f"k{n}" for n in range(34_866)]
    ),  # stalled a harvester for days; here a reject
    dataset("distribution-number", distribution=5),  # a fix-up raises on it: a transform reject
    dataset("deep").replace('"publisher": {"name": "Agency"}', f'"publisher": {deep_chain(40)}'),
    dataset("huge-float").replace('"modified"', '"x": 1e400, "modified"'),
    '"not a dataset"',
]
ISO = SAMPLES / "www" / "waf" / "coastal"
UTF7 = '<?xml version="1.0" encoding="utf-7"?><metadata><idinfo>+2AA-</idinfo></metadata>'  # a lone surrogate
REGISTRY = """sources:
  - {{id: good-agency, title: Good, organization: A, url: "{base}datajson/data.json", type: datajson,
     schema: dcatus1.1-federal, allow_private_network: true}}
  - {{id: good-waf, title: Good WAF, organization: A, url: "{base}waf/", type: waf, schema: iso19115,
     allow_private_network: true}}
  - {{id: hostile-catalog, title: Hostile, organization: H, url: "{base}hostile/data.json", type: datajson,
     schema: dcatus1.1-non-federal, allow_private_network: true}}
  - {{id: hostile-waf, title: Hostile WAF, organization: H, url: "{base}hostile-waf/", type: waf,
     schema: iso19115, allow_private_network: true}}
  - {{id: slow, title: Slow, organization: S, url: "{base}slow/", type: waf, schema: iso19115,
     allow_private_network: true, time_budget_s: 1}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The samples as the good publishers, hostile ones beside them, served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("hostile-site")
    shutil.copytree(SAMPLES / "www", root / "www")
    (root / "www" / "hostile").mkdir()
    (root / "www" / "hostile" / "data.json").write_text('{"dataset": [' + ", ".join(HOSTILE_DATASETS) + "]}")
    (root / "www" / "hostile-waf" / "sub").mkdir(parents=True)
    # Good records under identifiers of their own: good-waf's identifiers would be refused here as
    # published by another source (transforms/gate/duplicates.py), which is not what this WAF tests.
    for name, target in (
        ("shoreline-change-2024.xml", "good.xml"),
        ("seafloor-sediment.xml", "sub/inside.xml"),
    ):
        text = (ISO / name).read_text("utf-8").replace(">example-csc-", ">hostile-copy-of-csc-")
        (root / "www" / "hostile-waf" / target).write_text(text, "utf-8")
    (root / "www" / "hostile-waf" / "utf7.xml").write_text(UTF7)
    sub_listing = {"answer": None}  # None: the server's own listing; a dict: what the folder answers instead
    soup = (
        '<a href="good.xml">good.xml</a> <a href="utf7.xml">x</a> <a href="sub/">sub/</a>'
        + '<a href="' * 20_000
    )
    routes = {
        "/hostile-waf/": {"body": soup},
        "/hostile-waf/sub/": lambda handler: (
            sub_listing["answer"] or {"body": '<a href="inside.xml">inside.xml</a>'}
        ),
        "/slow/": {"delay": 4, "body": '<a href="a.xml">a.xml</a>'},
    }
    with serve_folder(root / "www", routes=routes) as base:
        (root / "sources.yaml").write_text(REGISTRY.format(base=base))
        yield root, sub_listing


def harvest(root: Path, lake: Path, run_id: str) -> dict:
    # Both days a source fails or is only partly read: the run succeeds with exit code 3, "partial".
    assert run_harvest(str(root / "sources.yaml"), str(lake), run_id=run_id, new_lake=True) == 3
    report = json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())
    assert (report["status"], report["outcome"]) == ("succeeded", "partial")
    for entry in report["sources"]:  # nothing is lost: every extracted record has one outcome
        assert entry["extracted"] == sum(entry[name] for name in RECORD_OUTCOMES), entry["source_id"]
    return {entry["source_id"]: entry for entry in report["sources"]}


def counts(entry: dict) -> tuple:
    return tuple(entry[name] for name in COUNT_NAMES[:-2])


def reasons(entry: dict) -> set[str]:
    return {reason["reason"] for reason in entry["top_reasons"]}


def test_hostile_publishers_fail_nothing_but_their_own_records(site, tmp_path_factory, spark):
    root, sub_listing = site
    lake = tmp_path_factory.mktemp("lake")
    first = harvest(root, lake, "run-1")
    # The good publishers publish as they do alone (see test_workflow_e2e).
    assert counts(first["good-agency"]) == (8, 6, 0, 0, 0, 2, 0)
    assert counts(first["good-waf"]) == (4, 3, 0, 0, 0, 1, 0)
    # 7 datasets: the surrogate and the big integer publish; 5 are rejected, each with its reason.
    hostile = first["hostile-catalog"]
    assert (hostile["status"], counts(hostile)) == ("complete", (7, 2, 0, 0, 0, 5, 0))
    assert reasons(hostile) == {
        "schema: $.keyword: has 34,866 items; at most 1,000 allowed",
        "transform: internal error (TypeError)",
        "dataset #5 is nested deeper than 32 levels",
        "dataset #6: x is a number too large to keep",
        "dataset #7 is a string, not a JSON object",
    }
    assert counts(first["hostile-waf"]) == (3, 2, 0, 0, 0, 1, 0)
    slow = first["slow"]  # its listing answers after 4 s; its budget is 1 s
    assert slow["status"] == "failed" and ("timed out" in slow["reason"] or "time budget" in slow["reason"])
    published = read_state(spark, str(lake), read_pointer(str(lake))["version"])
    assert published.filter("source_id = 'hostile-waf'").count() == 2

    # The next day a subfolder's listing breaks: the source still harvests, and deletes nothing.
    sub_listing["answer"] = {"status": 500}
    second = harvest(root, lake, "run-2")
    partial = second["hostile-waf"]
    assert (partial["status"], counts(partial)) == ("partial", (2, 0, 0, 0, 1, 1, 0))
    assert "hostile-waf/sub/ could not be read: HTTP 500" in partial["reason"]
    assert counts(second["good-agency"]) == (8, 0, 0, 0, 6, 2, 0)
    published = read_state(spark, str(lake), read_pointer(str(lake))["version"])
    assert published.filter("source_id = 'hostile-waf'").count() == 2
