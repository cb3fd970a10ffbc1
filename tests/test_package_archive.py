"""The project as Glue gets it: the built archive on the Python path, nothing installed, every data file found."""

import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from devtools.package import build_package
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # builds the wheel and the archive

# Run with -I -S: no PYTHONPATH, no current folder, no .pth files (the editable install is one), so the
# project can come from nowhere but the archive; the libraries' folder is added back by hand.
PROBE = """
import importlib.util, json, sys
sys.path.append(sys.argv[2])
assert importlib.util.find_spec("transforms") is None, "the project is importable without the archive"
sys.path.insert(0, sys.argv[1])
from glue_jobs import runtime
from transforms.gate import schema_check, suites
from transforms.publish import connection, postgres

names = sorted(entry.name.removesuffix(".json") for entry in suites.PACKAGED_SUITES.iterdir()
               if entry.name.endswith(".json"))
with open(runtime.log4j_config(), encoding="utf-8") as log4j:
    log4j_text = log4j.read()
print(json.dumps({
    "modules": [module.__file__ for module in (runtime, schema_check, suites, postgres, connection)],
    "suites": {name: suites.load_suite(suites.PACKAGED_SUITES, name) for name in names},
    "schemas": {name: schema_check.load_schema(name) for name in (schema_check.FEDERAL, schema_check.NON_FEDERAL)},
    "findings": [str(finding) for finding in schema_check.checker(schema_check.FEDERAL).check_text("{}")],
    "findings_3_0": [str(finding) for finding in schema_check.checker("3.0/Dataset").check_text(
        '{"title": "t", "description": "d", "identifier": "i", "distribution": [{"mediaType": "no/such"}]}'
    )],
    "migrations": connection.migrations(),
    "log4j": log4j_text,
    "daemon": runtime.worker_daemon_module(),
}))
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return build_package(tmp_path_factory.mktemp("dist"))


def load_from(archive: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(archive), sysconfig.get_path("purelib")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=archive.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_archive_is_the_wheel_under_a_name_pyspark_ships_to_executors(package):
    assert package.archive.suffix == ".zip" and package.wheel.suffix == ".whl"
    assert package.archive.read_bytes() == package.wheel.read_bytes()
    assert [script.name for script in package.scripts] == [
        f"{s}.py" for s in ("extract", "compare", "transform", "validate", "load")
    ]
    with zipfile.ZipFile(package.archive) as archive:
        names = set(archive.namelist())
    assert {
        "glue_jobs/log4j2.properties",
        "expectations/change_set.json",
        "transforms/gate/suites.py",
    } <= names
    assert not any(name.startswith(("devtools/", "tests/")) for name in names)
    # The Data Docs' vendored CSS, JavaScript and fonts travel with the validate job.
    vendored = json.loads((ROOT / "transforms" / "gate" / "data_docs_assets" / "MANIFEST.json").read_text())
    assert {
        f"transforms/gate/data_docs_assets/{e['file']}" for e in vendored["assets"] + vendored["files"]
    } <= names


def test_every_suite_schema_migration_and_config_loads_from_the_archive_alone(package):
    loaded = load_from(package.archive)
    assert all(path.startswith(str(package.archive) + "/") for path in loaded["modules"])
    suite_files = sorted((ROOT / "expectations").glob("*.json"))
    assert loaded["suites"] == {path.stem: json.loads(path.read_text("utf-8")) for path in suite_files}
    schema_folder = ROOT / "transforms" / "gate" / "dcatus_schema"
    assert loaded["schemas"] == {
        name: json.loads((schema_folder / f"dataset-{name}.json").read_text("utf-8"))
        for name in ("federal", "non-federal")
    }
    assert any("title" in finding for finding in loaded["findings"])
    # DCAT-US 3.0: the class schemas (by $id) and the reference lists the warnings read
    assert loaded["findings_3_0"] == [
        "$.contactPoint: required field is missing",
        '$.distribution[0].mediaType: "no/such" is not a registered (IANA) media type',
    ]
    migration_files = sorted((ROOT / "transforms" / "publish" / "migrations").glob("*.sql"))
    assert loaded["migrations"] == [[path.stem, path.read_text("utf-8")] for path in migration_files]
    assert loaded["log4j"] == (ROOT / "glue_jobs" / "log4j2.properties").read_text("utf-8")
    # Python workers could not start the local daemon from an archive, so PySpark's own is used.
    assert loaded["daemon"] is None
