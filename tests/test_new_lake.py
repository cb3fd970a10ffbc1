"""A mistyped --lake never starts a first harvest somewhere new: a lake that does not exist (a folder, or
an s3:// prefix with nothing in its catalog/) is refused before Spark starts, with exit code 2 and
nothing created, unless a new lake is asked for (`harvest run --new-lake`, `harvest init`)."""

import boto3
import pytest
from moto import mock_aws

from harvest_cli import main as cli
from transforms.publish.db_config import DB_URL_ENVIRONMENT

REGISTRY = """sources:
  - id: city
    title: City
    organization: City
    url: https://data.example.gov/data.json
    type: datajson
    schema: dcatus1.1-non-federal
"""


@pytest.fixture
def started(monkeypatch) -> list[str]:
    """The lakes a workflow was started in (the workflow itself is not run: no Spark)."""
    lakes: list[str] = []
    monkeypatch.setattr(
        "harvest_cli.workflow.run_workflow", lambda overrides, **_: lakes.append(overrides["lake"])
    )
    monkeypatch.setattr("harvest_cli.run_command.finish_run", lambda *args, **kwargs: 0)
    return lakes


@pytest.fixture
def registry(tmp_path) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTRY)
    return str(path)


def harvest(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err.strip()


def test_a_mistyped_local_lake_is_refused_and_nothing_is_created(capsys, started, registry, tmp_path):
    typo = tmp_path / "lkae" / "deep" / "path"
    code, err = harvest(capsys, "run", "--sources", registry, "--lake", str(typo))
    assert code == 2 and started == [] and not (tmp_path / "lkae").exists()
    assert err == (
        f"harvest run: no lake at {typo} (nothing in its catalog/): check --lake; to start a new lake there, "
        f"run `harvest init --lake {typo}` or pass --new-lake"
    )
    (tmp_path / "not-a-lake").mkdir()  # a folder that exists is no lake either
    assert harvest(capsys, "run", "--sources", registry, "--lake", str(tmp_path / "not-a-lake"))[0] == 2


def test_new_lake_starts_one_and_later_runs_need_no_flag(capsys, started, registry, tmp_path):
    lake = tmp_path / "lake"
    assert harvest(capsys, "run", "--sources", registry, "--lake", str(lake), "--new-lake")[0] == 0
    assert (lake / "catalog" / "LAKE.json").is_file()
    assert harvest(capsys, "run", "--sources", registry, "--lake", str(lake))[0] == 0
    assert harvest(capsys, "init", "--lake", str(tmp_path / "other"))[0] == 0
    assert harvest(capsys, "run", "--sources", registry, "--lake", str(tmp_path / "other"))[0] == 0
    assert started == [str(lake), str(lake), str(tmp_path / "other")]


def test_reconcile_refuses_a_lake_that_does_not_exist(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(DB_URL_ENVIRONMENT, "postgresql://harvest@127.0.0.1:1/catalog")
    code, err = harvest(capsys, "reconcile", "--lake", str(tmp_path / "typo"))
    assert code == 2 and err.startswith(f"harvest reconcile: no lake at {tmp_path / 'typo'}")
    assert not (tmp_path / "typo").exists()


@mock_aws
def test_an_s3_prefix_without_a_catalog_is_refused_until_init(capsys, started, registry):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="harvest-lake")
    code, err = harvest(capsys, "run", "--sources", registry, "--lake", "s3://harvest-lake/lkae")
    assert code == 2 and err.startswith("harvest run: no lake at s3://harvest-lake/lkae ") and started == []
    assert harvest(capsys, "init", "--lake", "s3://harvest-lake/lake")[0] == 0
    assert harvest(capsys, "run", "--sources", registry, "--lake", "s3://harvest-lake/lake")[0] == 0
    assert started == ["s3://harvest-lake/lake"]
    keys = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="harvest-lake")["Contents"]
    assert [entry["Key"] for entry in keys] == ["lake/catalog/LAKE.json"]


def test_make_run_starts_its_lake_on_a_fresh_clone(started, tmp_path, monkeypatch):
    from devtools import run_samples

    monkeypatch.setattr(run_samples, "SAMPLES_PORT", 0)
    assert run_samples.run_samples(str(tmp_path / "lake")) == 0
    assert started == [str(tmp_path / "lake")] and (tmp_path / "lake" / "catalog" / "LAKE.json").is_file()
