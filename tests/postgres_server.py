"""A throwaway PostgreSQL server on 127.0.0.1 for the tests that need a real catalog database.

Import the fixture where it is needed: ``from tests.postgres_server import postgres_url  # noqa: F401``.
The server lives in a temporary folder, listens on a free port of 127.0.0.1 (its unix socket in
the same folder) and is stopped at the end of the session. initdb refuses to run as root, so as
root the server runs as the ``postgres`` user (or ``nobody``) through ``runuser``.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from devtools.local_http import free_port

DATABASE = "harvest_test"
SUPERUSER = "postgres"


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def _server_user() -> str | None:
    """The unprivileged account to run the server as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("running as root and neither a 'postgres' nor a 'nobody' user exists for initdb")


def _run(command: list[str], user: str | None) -> None:
    if user:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def postgres_url():
    """postgresql:// URL of a fresh database on a private server, stopped after the session."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    user = _server_user()
    # Not pytest's tmp_path: its parents are private to root, and the server user must reach the folder.
    home = Path(tempfile.mkdtemp(prefix="harvest-pg-"))
    if user:
        record = pwd.getpwnam(user)
        os.chown(home, record.pw_uid, record.pw_gid)
    data, port = home / "data", free_port()
    try:
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            user,
        )
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off -c full_page_writes=off"
        _run(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(home / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
        )
        try:
            import psycopg

            with psycopg.connect(
                f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres", autocommit=True
            ) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
            yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def fresh_db_url(postgres_url):
    """postgresql:// URL of a new, empty database on the session's server, dropped after the test."""
    import uuid

    import psycopg

    name = f"harvest_{uuid.uuid4().hex[:12]}"
    admin = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
