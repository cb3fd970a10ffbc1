"""A catalog database's password never leaves the process: not on the terminal (with or without --debug),
not in an error message or traceback, not in the report, the history or any other file of the lake.

libpq repeats a connection string it cannot read in its error message (``missing "=" after
"postgresql//user:secret@host/db"``), so each test puts a random secret where a password goes, in
every form libpq reads and in the mistakes an operator makes, and looks for it everywhere.
"""

import contextlib
import io
import json
import string
import traceback
import uuid
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from devtools.local_http import free_port
from harvest_cli import main as cli
from harvest_cli.preflight import create_lake
from tests.test_load_job import prepare
from transforms.lake import lock as lake_lock
from transforms.lake.catalog_state import switch_pointer, write_version
from transforms.publish.connection import DatabaseUnreachable, connect
from transforms.publish.db_config import (
    DB_URL_ENVIRONMENT,
    DatabaseUrlError,
    database_target,
    has_password,
    resolve_db_url,
)
from transforms.schemas import CATALOG_STATE

CLOSED_PORT = free_port()  # nothing listens there: a connection is refused at once
TARGET = f"127.0.0.1:{CLOSED_PORT}/catalog"
# Where a secret goes, in every form libpq reads: a URL's user information, its query's password or
# sslpassword, a keyword string's password= or sslpassword=.
ACCEPTED_FORMS = [
    "postgresql://harvest:{s}@127.0.0.1:{port}/catalog",
    "postgres://harvest:{s}@127.0.0.1:{port}/catalog",
    "postgresql://harvest@127.0.0.1:{port}/catalog?password={s}",
    "postgresql://harvest@127.0.0.1:{port}/catalog?sslmode=disable&sslpassword={s}",
    "postgresql://harvest@127.0.0.1:{port}/catalog?PASSWORD={s}",
    "host=127.0.0.1 port={port} dbname=catalog password={s}",
    "host=127.0.0.1 port={port} sslpassword={s} dbname=catalog",
    "host=127.0.0.1 password = '{s}' dbname=catalog",
]
# The same with an operator's typo: a mistyped scheme, a raw '/' in the password, a broken escape.
MISTYPED_FORMS = [
    "postgresql//harvest:{s}@127.0.0.1:{port}/catalog",
    "postgresql:/harvest:{s}@127.0.0.1:{port}/catalog",
    "postgresql:harvest:{s}@127.0.0.1/catalog",
    "postgressql://harvest:{s}@127.0.0.1/catalog",
    "Postgresql://harvest:{s}@127.0.0.1/catalog",
    "jdbc:postgresql://harvest:{s}@127.0.0.1/catalog",
    " postgresql://harvest:{s}@127.0.0.1/catalog",
    "harvest:{s}@127.0.0.1/catalog",
    "postgresql://harvest:{s}/x@127.0.0.1:{port}/catalog",
    "postgresql://harvest@127.0.0.1:{port}/catalog?password={s}%zz",
]
# Not a password to libpq (a misspelled key), but a secret all the same: still never repeated.
NOT_A_PASSWORD_FORMS = ["postgresql://harvest@127.0.0.1:{port}/catalog?passwrod={s}"]
SECRETS = st.text(string.ascii_letters + string.digits, min_size=16, max_size=32)
ANY_SECRET = st.text(st.characters(blacklist_categories=("Cs",)), min_size=16, max_size=32)


def with_secret(form: str, secret: str) -> str:
    return form.format(s=secret, port=CLOSED_PORT)


def failure_text(call) -> str:
    """What an error of ``call`` would show anywhere: its message and its whole traceback."""
    try:
        call()
    except Exception as error:  # noqa: BLE001 - every error is looked at
        return "".join(traceback.format_exception(error))
    raise AssertionError("expected an error")


def terminal_of(argv: list[str]) -> tuple[int, str]:
    """Exit code and everything a harvest command printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue() + err.getvalue()


@pytest.fixture
def existing_lake(tmp_path) -> str:
    root = str(tmp_path / "lake")
    create_lake(root)
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRETS, form=st.sampled_from(ACCEPTED_FORMS + MISTYPED_FORMS + NOT_A_PASSWORD_FORMS))
def test_no_message_traceback_or_terminal_line_holds_the_secret(secret, form, existing_lake, monkeypatch):
    url = with_secret(form, secret)
    if form not in NOT_A_PASSWORD_FORMS:
        assert has_password(url)
    assert secret not in database_target(url)
    assert secret not in failure_text(lambda: connect(url))

    registry = Path(existing_lake, "sources.yaml")
    registry.write_text("sources: []\n")
    if form not in NOT_A_PASSWORD_FORMS:  # a password on the command line: refused before anything runs
        code, shown = terminal_of(
            ["run", "--sources", str(registry), "--lake", existing_lake, "--db-url", url]
        )
        assert code == 2 and secret not in shown and "HARVEST_DB_URL" in shown
    monkeypatch.setenv(DB_URL_ENVIRONMENT, url)
    for debug in ([], ["--debug"]):
        code, shown = terminal_of(["reconcile", "--lake", existing_lake, "--yes", *debug])
        assert code in (1, 2) and secret not in shown
    if not url.startswith(("postgresql://", "postgres://")):  # refused before Spark, without repeating it
        code, shown = terminal_of(["run", "--sources", str(registry), "--lake", existing_lake])
        assert code == 2 and secret not in shown and "must start with postgresql://" in shown


@settings(max_examples=40, deadline=None)
@given(secret=ANY_SECRET)
def test_any_password_escaped_in_a_url_stays_out_of_the_messages(secret):
    def url_of(password: str) -> str:
        return f"postgresql://harvest:{quote(password, safe='')}@127.0.0.1:{CLOSED_PORT}/catalog"

    # Text the messages hold whatever the password (a source path in the traceback: Hypothesis draws
    # strings from the project's own source) is no leak.
    unrelated = failure_text(lambda: connect(url_of("0" * 16)))
    assume(secret not in unrelated and quote(secret, safe="") not in unrelated)
    url = url_of(secret)
    assert has_password(url)
    shown = failure_text(lambda: connect(url))
    assert secret not in shown and quote(secret, safe="") not in shown


def test_a_connection_failure_names_the_database_its_reason_and_class():
    url = with_secret(ACCEPTED_FORMS[0], "s3cr3t-s3cr3t-s3cr3t")
    with pytest.raises(DatabaseUnreachable) as refused:
        connect(url)
    assert str(refused.value) == f"catalog database {TARGET}: connection refused (OperationalError)"
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_no_database_is_no_url_to_check():
    assert resolve_db_url("") == ""  # load without a catalog database


def test_a_mistyped_scheme_is_refused_before_libpq_reads_it():
    with pytest.raises(DatabaseUrlError, match="must start with postgresql:// or postgres://") as refused:
        connect("postgresql//harvest:s3cr3t-s3cr3t@127.0.0.1/catalog")
    assert "s3cr3t" not in str(refused.value)


@mock_aws
def test_a_secret_holding_a_mistyped_url_is_refused_without_repeating_it():
    client = boto3.client("secretsmanager", region_name="us-east-1")
    secret = uuid.uuid4().hex  # not a literal: a traceback shows the test's own source lines
    typo = f"postgresql//harvest:{secret}@db.internal/catalog"
    plain = client.create_secret(Name="typo", SecretString=typo)["ARN"]
    wrapped = client.create_secret(Name="typo-json", SecretString=json.dumps({"url": typo}))["ARN"]
    for arn in (plain, wrapped):
        assert secret not in failure_text(lambda arn=arn: resolve_db_url(arn))


def test_a_load_whose_database_url_libpq_cannot_read_keeps_the_secret_out_of_the_lake_and_terminal(
    spark, tmp_path, monkeypatch, capsys
):
    """The whole path of the finding: load fails, and the run's report, its page, the history and the
    terminal (with --debug's traceback) say which database and why, never the password."""
    from harvest_cli.run_command import run_harvest
    from tests.test_reconcile_postgres import published

    lake = str(tmp_path / "lake")
    write_version(spark.createDataFrame([published("kept")], CATALOG_STATE), lake, "v0", "r0", None)
    switch_pointer(lake, "v0", None)
    registry = prepare(spark, tmp_path, lake)[4]  # run r1, through validate
    lake_lock.release(lake, "r1")  # the runner takes it again
    secret = uuid.uuid4().hex
    # The scheme is right, so the URL reaches libpq, which repeats the broken escape, password and all.
    broken = "postgresql://harvest@127.0.0.1:{port}/catalog?password={s}%zz"
    monkeypatch.setenv(DB_URL_ENVIRONMENT, with_secret(broken, secret))

    assert run_harvest(registry, lake, run_id="r1", start_at="load", debug=True) == 1
    shown = "".join(capsys.readouterr())
    said = "catalog database (its URL cannot be read): cannot connect (ProgrammingError)"
    assert said in shown and "Traceback" in shown and secret not in shown
    report = json.loads(Path(lake, "runs", "r1", "report", "report.json").read_text())
    assert report["failed_stage"] == "load" and said in report["error"]
    written = [path for path in Path(lake).rglob("*") if path.is_file()]
    assert any(path.name == "history.json" for path in written)
    assert [path for path in written if secret.encode() in path.read_bytes()] == []


@mock_aws
@pytest.mark.parametrize(
    "secret_text, missing",
    [
        (
            '{"username": "catalog_admin", "password": "%s"}',
            "host",
        ),  # the secret RDS manages for its master user
        ('{"host": "db.internal", "password": "%s"}', "username"),
        ('{"url": null, "password": "%s"}', "host, username"),
        ("{not json %s", None),
    ],
)
def test_a_secret_of_the_wrong_shape_is_refused_with_what_it_lacks_never_its_values(secret_text, missing):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    password = uuid.uuid4().hex
    arn = client.create_secret(Name="catalog-db", SecretString=secret_text % password)["ARN"]
    with pytest.raises(DatabaseUrlError) as refused:
        resolve_db_url(arn)
    message = str(refused.value)
    assert password not in message and password not in failure_text(lambda: resolve_db_url(arn))
    assert (
        (f"has no {missing}" in message)
        if missing
        else ("neither a postgresql:// URL nor a JSON object" in message)
    )
