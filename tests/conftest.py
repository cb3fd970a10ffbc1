"""One Spark session for each test process (`make test` runs two), and the shared paths tests use."""

import logging
import os
from pathlib import Path

import pytest

from transforms.iri_grammar import defer_iri_grammar

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# As the product's processes do: test modules import jsonschema, whose IRI grammar (1.2 s of CPU per
# test process) is then built only if a test checks an IRI.
defer_iri_grammar()

ROOT = Path(__file__).resolve().parents[1]
REALDATA = ROOT.parent / "shared" / "realdata"


def pytest_collection_modifyitems(items):
    """Tests that use the Spark session are marked ``spark``, those that run data.gov's catalog app
    ``catalog``, so `make test-fast` can leave them out. Then the files whose tests run whole harvests
    come first.

    `make test`'s workers take whole files in collection order (``--dist loadfile``), so a minute-long
    end-to-end file collected last kept one worker busy while the other had nothing left: with the
    long files first, the short ones fill the gaps and both workers finish together.
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "spark" in fixtures:
            item.add_marker(pytest.mark.spark)
        if "catalog_python" in fixtures:
            item.add_marker(pytest.mark.catalog)
    weight: dict[str, int] = {}
    for item in items:
        if item.get_closest_marker("e2e") or item.get_closest_marker("slow"):
            rank = 0
        else:
            rank = 1 if item.get_closest_marker("spark") or item.get_closest_marker("catalog") else 2
        weight[item.path] = min(weight.get(item.path, 2), rank)
    items.sort(key=lambda item: weight[item.path])  # stable: each file's tests keep their order


@pytest.fixture(autouse=True)
def loggers_as_found():
    """Each test leaves the root logger (handlers, level) and the progress logger's handlers as it found them.

    A job's ``begin`` and the CLI's terminal set-up put handlers on the ``sys.stderr`` and ``sys.stdout``
    of the moment: in a test with ``capsys`` those streams are closed when the test ends, and a later
    test's log record (botocore's "Found credentials", at INFO) would print a "Logging error" traceback
    into that test's output. The root logger's other handlers are pytest's own, added and removed per
    test phase by pytest.
    """
    from harvest_cli.terminal import PROGRESS_LOGGER

    root, progress = logging.getLogger(), logging.getLogger(PROGRESS_LOGGER)
    root_handlers, level, progress_handlers = list(root.handlers), root.level, list(progress.handlers)
    yield
    for handler in [h for h in root.handlers if h not in root_handlers and type(h) is logging.StreamHandler]:
        root.removeHandler(handler)
    root.setLevel(level)
    for handler in [h for h in progress.handlers if h not in progress_handlers]:
        progress.removeHandler(handler)


@pytest.fixture(scope="session")
def spark():
    """The session-scoped local SparkSession (2 cores, few shuffle partitions, UI off), set up as a small
    run's: the tests' jobs are many and see few rows (runtime.BRIEF_SESSION_JIT, FEW_ROWS_SQL)."""
    from glue_jobs.runtime import FEW_ROWS_SQL, local_spark

    session = local_spark("harvest-tests", cores=2, brief=True)
    for key, value in {**FEW_ROWS_SQL, "spark.sql.shuffle.partitions": "4"}.items():
        session.conf.set(key, value)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata, or a skip when this checkout has no shared folder beside it."""
    if not REALDATA.is_dir():
        pytest.skip(
            "../shared/realdata is absent: real-data tests need the shared folder beside the checkout"
        )
    return REALDATA


@pytest.fixture
def aws(monkeypatch):
    """moto's AWS in us-east-1 with test credentials (none of the machine's own profile leaks in)."""
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield
