"""The run report names the records: two harvests of one data.json over HTTP, the second updating one
dataset, deleting one, adding one and leaving one with a warning as it was, then a third that changes
nothing (its verdicts carried). Every expected identifier is written here, from the fixture."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from lxml import html

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import run_harvest

pytestmark = pytest.mark.e2e

SOURCE = "records-agency"
ID = "https://data.example.gov/id/records-{}".format
# A zero-width space the normalizer leaves as written, with a warning saying so.
WARNED_DESCRIPTION = "Stations of the air quality network.\u200b"
WARNING = "text: description contains 1 zero-width character(s) (U+200B); left as written"
REGISTRY = """sources:
  - id: records-agency
    title: Records Agency data.json
    organization: Records Agency
    url: "{url}/data.json"
    type: datajson
    schema: dcatus1.1-federal
    allow_private_network: true
"""


def dataset(name: str, title: str, description: str = "A dataset of the agency.") -> dict:
    """A valid federal DCAT-US 1.1 dataset: the bundled sample's first one with its own identifier and title."""
    template = json.loads((SAMPLES / "www" / "datajson" / "data.json").read_text("utf-8"))["dataset"][0]
    return {**template, "identifier": ID(name), "title": title, "description": description}


def publish(folder: Path, datasets: list[dict]) -> None:
    catalog = {
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }
    (folder / "data.json").write_text(json.dumps(catalog, indent=1), "utf-8")


# Seven more that never change, so one delete in ten stays under the mass-deletion guard's share.
STEADY = [dataset(f"steady-{n}", f"Park Boundaries {n}") for n in range(7)]
DAY_1 = [
    dataset("warned", "Air Quality Stations", WARNED_DESCRIPTION),
    dataset("edited", "Library Branches"),
    dataset("removed", "Bridge Inspections"),
    *STEADY,
]
DAY_2 = [
    DAY_1[0],
    dataset("edited", "Library Branches and Bookmobiles"),
    *STEADY,
    dataset("added", "Noise Complaints"),
]


def csv_identifiers(report_folder: Path, path: str | None) -> list[str]:
    assert path and path.startswith("report/")
    text = (report_folder / path.removeprefix("report/")).read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(set(row) == {"identifier", "record_url"} for row in rows)
    return [row["identifier"] for row in rows]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """The lake after three runs: run-1 (day 1), run-2 (day 2), run-3 (day 2 again)."""
    site, lake = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("lake")
    shutil.rmtree(lake)
    publish(site, DAY_1)
    with serve_folder(site) as base_url:
        registry = tmp_path_factory.mktemp("registry") / "sources.yaml"
        registry.write_text(REGISTRY.format(url=base_url.rstrip("/")), "utf-8")
        assert run_harvest(str(registry), str(lake), run_id="run-1", new_lake=True) == 0
        publish(site, DAY_2)
        assert run_harvest(str(registry), str(lake), run_id="run-2") == 0
        assert run_harvest(str(registry), str(lake), run_id="run-3") == 0
    return lake


def entry(lake: Path, run_id: str) -> tuple[Path, dict]:
    folder = lake / "runs" / run_id / "report"
    report = json.loads((folder / "report.json").read_text("utf-8"))
    [source] = [s for s in report["sources"] if s["source_id"] == SOURCE]
    return folder, source


def test_the_first_run_lists_every_record_it_created(runs):
    folder, source = entry(runs, "run-1")
    assert csv_identifiers(folder, source["created_csv"]) == sorted(
        [ID("edited"), ID("removed"), ID("warned"), *(ID(f"steady-{n}") for n in range(7))]
    )
    assert source["updated_csv"] is None and source["deleted_csv"] is None


def test_the_second_run_lists_exactly_the_record_it_created_updated_and_deleted(runs):
    folder, source = entry(runs, "run-2")
    assert (source["created"], source["updated"], source["deleted"], source["unchanged"]) == (1, 1, 1, 8)
    assert csv_identifiers(folder, source["created_csv"]) == [ID("added")]
    assert csv_identifiers(folder, source["updated_csv"]) == [ID("edited")]
    assert csv_identifiers(folder, source["deleted_csv"]) == [ID("removed")]


def test_report_html_links_each_list_beside_its_count(runs):
    folder, _ = entry(runs, "run-2")
    page = html.document_fromstring((folder / "report.html").read_bytes())
    [row] = page.xpath(f'//table[@id="changes"]//tr[@data-source="{SOURCE}"]')
    cells = [" ".join(cell.text_content().split()) for cell in row.xpath("./td")]
    assert cells == [SOURCE, "1", "CSV", "1", "CSV", "1", "CSV"]
    for change, name in zip(("created", "updated", "deleted"), ("added", "edited", "removed"), strict=True):
        [href] = row.xpath(f'./td[contains(@class, "change-{change}")]/following-sibling::td[1]/a/@href')
        assert csv_identifiers(folder, f"report/{href}") == [ID(name)]


@pytest.mark.parametrize("run_id", ["run-1", "run-2", "run-3"])
def test_an_unchanged_record_keeps_its_warning_in_every_report(runs, run_id):
    folder, source = entry(runs, run_id)
    assert source["warnings"] == 1
    assert [(w["warning"], w["count"], w["examples"]) for w in source["top_warnings"]] == [
        (WARNING, 1, [ID("warned")])
    ]
    warned = csv.DictReader(
        io.StringIO((folder / "errors" / f"{SOURCE}.warnings.csv").read_text("utf-8-sig"))
    )
    assert [(row["identifier"], row["reason"]) for row in warned] == [(ID("warned"), WARNING)]
    page = html.document_fromstring((folder / "report.html").read_bytes())
    assert WARNING in page.xpath('//table[@id="warnings"]')[0].text_content()


def test_the_unchanged_runs_report_says_it_carried_the_verdicts(runs):
    report = json.loads((runs / "runs" / "run-3" / "report" / "report.json").read_text("utf-8"))
    assert report.get("repeat_of") == "run-2" or report.get("carried")
    _, source = entry(runs, "run-3")
    assert (source["created"], source["updated"], source["deleted"], source["unchanged"]) == (0, 0, 0, 10)
    assert source["created_csv"] is None and source["updated_csv"] is None and source["deleted_csv"] is None


def test_the_report_of_a_changing_run_and_its_data_docs_link_each_other(runs):
    folder, _ = entry(runs, "run-2")
    report = folder / "report.html"
    [href] = html.document_fromstring(report.read_bytes()).xpath('//a[@id="data-docs"]/@href')
    index = (folder / href).resolve()
    assert index == (runs / "runs" / "run-2" / "quality" / "index.html").resolve() and index.is_file()
    pages = sorted((runs / "runs" / "run-2" / "quality" / "validations").rglob("*.html"))
    assert {page.relative_to(index.parent / "validations").parts[1] for page in pages} == {"run-2"}
    for page in [index, *pages]:
        [back] = html.document_fromstring(page.read_bytes()).xpath('//a[@id="harvest-report"]/@href')
        assert (page.parent / back).resolve() == report.resolve()
