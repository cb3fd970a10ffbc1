"""Retiring a source on a real two-source lake and catalog database: removing it from the registry is refused
while it publishes records; `enabled: false` stops harvesting it and keeps its records; `harvest clear`
withdraws them through a normal run (deletes in the report, the catalog version and the database, the other
source untouched); then the registry may drop it, and a re-harvest brings its records back."""

import json

import psycopg
import pytest

from devtools.local_http import serve_folder
from devtools.run_samples import SAMPLES
from harvest_cli.main import main
from tests.postgres_server import fresh_db_url, postgres_url  # noqa: F401
from transforms.lake.catalog_state import current_version, published_sources
from transforms.lake.manifest import check_no_source_removed, pin_run
from transforms.registry import RegistryError, parse_registry

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
SOURCES = {
    "agency": ("datajson/data.json", "dcatus1.1-federal"),
    "agency-3": ("datajson3/data.json", "dcatus3.0"),
}
ENTRY = """  - id: {id}
    title: {id}
    organization: Example Agency
    url: {base}{path}
    type: datajson
    schema: {schema}
    allow_private_network: true
"""


def registry(tmp_path, base: str, *ids: str, name: str = "sources.yaml", disabled: str = "") -> str:
    path = tmp_path / name
    text = "".join(
        ENTRY.format(id=i, base=base, path=SOURCES[i][0], schema=SOURCES[i][1])
        + ("    enabled: false\n" if i == disabled else "")
        for i in ids
    )
    path.write_text("sources:\n" + text)
    return str(path)


def datasets(db_url: str) -> dict[str, int]:
    """Published datasets per source in data.gov's tables."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            """SELECT k.source_id, count(d.id) FROM catalog.source_key AS k
            LEFT JOIN public.dataset AS d ON d.harvest_source_id = k.harvest_source_id GROUP BY 1 ORDER BY 1"""
        ).fetchall()
    return dict(rows)


def report(lake, run_id: str) -> dict:
    return json.loads((lake / "runs" / run_id / "report" / "report.json").read_text())


def test_a_source_is_cleared_then_removable_and_a_reharvest_brings_it_back(
    spark,
    tmp_path,
    fresh_db_url,  # noqa: F811
    capsys,
):
    lake, db = tmp_path / "lake", fresh_db_url
    with serve_folder(SAMPLES / "www") as base:
        both = registry(tmp_path, base, "agency", "agency-3")
        only_agency = registry(tmp_path, base, "agency", name="reduced.yaml")
        paused = registry(tmp_path, base, "agency", "agency-3", name="paused.yaml", disabled="agency-3")
        assert (
            main(
                [
                    "run",
                    "--sources",
                    both,
                    "--lake",
                    str(lake),
                    "--db-url",
                    db,
                    "--new-lake",
                    "--run-id",
                    "first",
                ]
            )
            == 0
        )
        published = published_sources(str(lake), "first")
        assert published is not None and set(published) == {"agency", "agency-3"}
        assert datasets(db) == published
        capsys.readouterr()

        # Dropping agency-3 from the registry while it publishes: refused before anything starts.
        assert main(["run", "--sources", only_agency, "--lake", str(lake), "--run-id", "dropped"]) == 2
        refusal = capsys.readouterr().err
        assert f"agency-3 ({published['agency-3']} records)" in refusal and "harvest clear" in refusal
        assert not (lake / "runs" / "dropped").exists()
        with pytest.raises(RegistryError, match="harvest clear"):  # and so is a Glue run, at extract's pin
            pin_run(str(lake), "dropped", only_agency, False, "", lambda: current_version(str(lake)))

        # Disabled, it is no longer harvested, and its published records stay as they are.
        run = ["--sources", paused, "--lake", str(lake), "--db-url", db]
        # Forced, so agency is read again: a run repeating the last one whole fails at load with a database
        # (it reads compare's changes, which a repeat does not write), a problem apart from retiring.
        assert main(["run", *run, "--run-id", "paused", "--force"]) == 0
        assert [entry["source_id"] for entry in report(lake, "paused")["sources"]] == ["agency"]
        assert published_sources(str(lake), current_version(str(lake))) == published
        assert datasets(db) == published
        capsys.readouterr()

        # Without a terminal, clearing needs --yes, as every command that asks first.
        assert main(["clear", "agency-3", *run]) == 2
        assert "pass --yes" in capsys.readouterr().err
        assert main(["clear", "agency-3", *run, "--yes"]) == 0
        assert "still enabled" not in capsys.readouterr().out  # disabled: it stays withdrawn
        cleared_run = current_version(str(lake))
        cleared = report(lake, cleared_run)
        (entry,) = cleared["sources"]
        assert (entry["source_id"], entry["status"]) == ("agency-3", "complete")
        assert (entry["extracted"], entry["deleted"]) == (0, published["agency-3"])
        assert published_sources(str(lake), cleared_run) == {"agency": published["agency"]}
        assert datasets(db) == {"agency": published["agency"], "agency-3": 0}
        check_no_source_removed(
            str(lake), cleared_run, parse_registry((tmp_path / "reduced.yaml").read_text())
        )

        # A later harvest of the source (named: disabled or not) publishes its records again.
        assert main(["run", *run, "--only-sources", "agency-3", "--run-id", "back"]) == 0
        assert report(lake, "back")["sources"][0]["created"] == published["agency-3"]
        assert published_sources(str(lake), "back") == published
        assert datasets(db) == published
