"""data.gov's own catalog app (GSA/datagov-catalog) run against a harvest database, for the tests that use it as the oracle.

The app is Python 3.12 and our tests 3.11, so it runs in a venv of its own, ``.venv-catalog/`` in
the checkout, made and filled on first use from tests/catalog_requirements.txt (``make
catalog-venv`` makes it ahead). Its code is the snapshot in ``../shared/anchors/datagov-catalog``:
tests/catalog_driver.py runs inside it (``app`` imported from there) and answers in JSON.

Fixtures: ``catalog_app`` (a :class:`CatalogApp`, or a skip saying what is missing) and
``harvester_db`` (a database with the harvester's tables and the catalog's snapshot loaded).
Import them where needed, with the ones they stand on: ``from tests.catalog_app import catalog_app,
catalog_python, harvester_db`` and ``from tests.postgres_server import postgres_url`` (``# noqa: F401``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools.local_http import free_port
from tests.harvester_examples import insert_examples
from tests.postgres_server import find_postgres_bin, postgres_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT.parent / "shared" / "anchors"
CATALOG_CHECKOUT = ANCHORS / "datagov-catalog"
SNAPSHOT = CATALOG_CHECKOUT / "tests" / "data" / "harvester_snapshot"
VENV = ROOT / ".venv-catalog"
REQUIREMENTS = Path(__file__).with_name("catalog_requirements.txt")
DRIVER = Path(__file__).with_name("catalog_driver.py")
HARVESTER_SCHEMA = Path(__file__).with_name("harvester_schema.sql")
PYTHON_ENVIRONMENT = "CATALOG_PYTHON"  # a Python 3.12 to build the venv with, when it is not found


def _pyenv_roots() -> list[Path]:
    """Where pyenv keeps its Pythons: $PYENV_ROOT or ~/.pyenv, and what ``pyenv root`` says (pyenv may be off PATH)."""
    roots = [Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        answer = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
        if answer:
            roots.append(Path(answer))
    return roots


def find_python312() -> str | None:
    """A Python 3.12 interpreter: $CATALOG_PYTHON, python3.12 on PATH, or pyenv's newest 3.12."""
    candidates = [os.environ.get(PYTHON_ENVIRONMENT), shutil.which("python3.12")]
    for root in _pyenv_roots():
        releases = root.glob("versions/3.12.*/bin/python")
        # Newest first: 3.12.10 after 3.12.9, so by the patch number, not by the text.
        candidates += sorted(
            (str(path) for path in releases),
            key=lambda path: int(re.match(r"\d*", path.split("/versions/3.12.")[1]).group() or 0),
            reverse=True,
        )
    for candidate in candidates:
        if not candidate:
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return candidate
    return None


NO_PYTHON = (
    "no Python 3.12 for data.gov's catalog app: install one (pyenv install 3.12, or Debian's python3.12) "
    f"or set {PYTHON_ENVIRONMENT}=/path/to/python3.12"
)


STAMP = VENV / ".installed"  # holds the digest of the requirements it was filled from


def _requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def _venv_is_current() -> bool:
    """True when .venv-catalog holds what tests/catalog_requirements.txt asks for."""
    return STAMP.exists() and STAMP.read_text().strip() == _requirements_digest()


def missing_prerequisite() -> str | None:
    """Why the catalog app cannot run here, or None when it can."""
    if not (CATALOG_CHECKOUT / "app" / "__init__.py").is_file():
        return f"data.gov's catalog app is absent ({CATALOG_CHECKOUT}): the shared folder must be beside the checkout"
    if not _venv_is_current() and find_python312() is None:
        return NO_PYTHON
    return None


def install_venv() -> Path:
    """.venv-catalog's Python, the venv made (or remade when the requirements changed) under a lock."""
    python = VENV / "bin" / "python"
    with open(ROOT / ".venv-catalog.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test sessions must not fill one venv at once
        if _venv_is_current():
            return python
        interpreter = find_python312()
        if interpreter is None:
            raise RuntimeError(NO_PYTHON)
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([interpreter, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        STAMP.write_text(_requirements_digest())
    return python


def sqlalchemy_url(url: str) -> str:
    """The catalog's DATABASE_URI for a postgresql:// URL (SQLAlchemy with the psycopg 3 driver)."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@dataclass(frozen=True)
class CatalogApp:
    """The catalog app of the anchor checkout, run by .venv-catalog's Python against one database."""

    python: Path
    database_url: str
    catalog_base_url: str = "https://catalog.data.gov"

    def environment(self, **extra: str) -> dict[str, str]:
        """The app's environment: its database, a secret key, the base URL its documents link to."""
        return {
            **os.environ,
            "DATABASE_URI": sqlalchemy_url(self.database_url),
            "FLASK_SECRET_KEY": "test-only-secret",
            "CATALOG_BASE_URL": self.catalog_base_url,
            "NEW_RELIC_ENABLED": "false",
            **extra,
        }

    def _ask(self, *arguments: str) -> Any:
        with tempfile.TemporaryDirectory(prefix="catalog-driver-") as folder:
            out = Path(folder) / "answer.json"
            result = subprocess.run(
                [str(self.python), str(DRIVER), str(out), *arguments],
                cwd=CATALOG_CHECKOUT,
                env=self.environment(),
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode:
                raise RuntimeError(
                    f"the catalog driver failed ({result.returncode}):\n{result.stderr[-4000:]}"
                )
            return json.loads(out.read_text(encoding="utf-8"))

    def mapping(self) -> dict:
        """The index mapping the catalog creates (``app.search.mappings.MAPPINGS``)."""
        return self._ask("mapping")

    def documents(self) -> list[dict]:
        """Every dataset row's index document as the catalog's own DatasetDocument builds it, in id order."""
        return self._ask("documents")

    def documents_of(self, rows: list[dict]) -> list[dict]:
        """The catalog's documents of rows given as dicts (dataset, organization, harvest_record), no database.

        The dataset's ``last_harvested_date`` is ISO text here (the rows travel as JSON).
        """
        with tempfile.TemporaryDirectory(prefix="catalog-rows-") as folder:
            rows_file = Path(folder) / "rows.json"
            rows_file.write_text(json.dumps(rows), encoding="utf-8")
            return self._ask("documents-of", str(rows_file))

    def get(self, *paths: str) -> dict[str, dict]:
        """GET each path with the app's test client: path -> status, content_type, location, body."""
        return {answer["path"]: answer for answer in self._ask("get", *paths)}

    @contextmanager
    def served(self) -> Iterator[str]:
        """The app served by gunicorn (the catalog's own WSGI server) on 127.0.0.1: yields its base URL."""
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # SITE_URL is the app's SERVER_NAME: a request for another host would not match a route.
        log = tempfile.TemporaryFile()  # a file, not a pipe: a full pipe would stall the server
        server = subprocess.Popen(
            [
                str(self.python),
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "app:create_app()",
            ],
            cwd=CATALOG_CHECKOUT,
            env=self.environment(SITE_URL=f"127.0.0.1:{port}"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/robots.txt", timeout=5).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        output = log.read().decode(errors="replace")
                        raise RuntimeError(f"gunicorn did not start:\n{output[-4000:]}") from None
                    time.sleep(0.3)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


def load_snapshot(database_url: str) -> None:
    """The harvester's tables (tests/harvester_schema.sql) and the snapshot's rows, in an empty database."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(HARVESTER_SCHEMA.read_text(encoding="utf-8"))
        major = conn.info.server_version // 10000
    dump = (SNAPSHOT / "postgres.sql").read_text(encoding="utf-8")
    if major < 17:  # a PostgreSQL 17 setting older servers refuse
        dump = re.sub(r"(?m)^SET transaction_timeout = 0;\n", "", dump)
    bin_dir = find_postgres_bin()
    assert bin_dir is not None  # the server fixture skipped already when it is missing
    subprocess.run(
        [str(bin_dir / "psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-d", database_url],
        input=dump,
        text=True,
        capture_output=True,
        check=True,
    )


@pytest.fixture(scope="session")
def catalog_python() -> Path:
    """.venv-catalog's Python, made on first use; a skip when the anchor checkout or a Python 3.12 is missing."""
    reason = missing_prerequisite()
    if reason:
        pytest.skip(reason)
    return install_venv()


@pytest.fixture(scope="session")
def harvester_db(postgres_url) -> str:  # noqa: F811 - the fixture imported above
    """postgresql:// URL of a database holding the catalog's harvester snapshot and our examples (read-only).

    Session-wide: tests must not change it.
    """
    import psycopg

    if not (SNAPSHOT / "postgres.sql").is_file():
        pytest.skip(f"the catalog's harvester snapshot is absent ({SNAPSHOT})")
    url = postgres_url.rsplit("/", 1)[0] + "/harvester_snapshot"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE harvester_snapshot")
    load_snapshot(url)
    insert_examples(url)
    return url


@pytest.fixture(scope="session")
def catalog_app(catalog_python, harvester_db) -> CatalogApp:
    """The catalog app over the snapshot database."""
    return CatalogApp(catalog_python, harvester_db)


if __name__ == "__main__":  # make catalog-venv
    reason = missing_prerequisite()
    if reason:
        sys.exit(reason)
    print(install_venv())
