"""The search index's _bulk actions, their files in the lake, and sending them with opensearch-py.

OpenSearch cannot run here: a loopback HTTP server of ours answers ``_bulk`` as OpenSearch does
and records each request.
"""

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import psycopg
import pytest

from harvest_cli.main import main as harvest
from tests.catalog_app import harvester_db  # noqa: F401
from tests.postgres_server import postgres_url  # noqa: F401
from transforms import lake
from transforms.publish.search.documents import bulk_actions
from transforms.publish.search.export import bulk_bodies, database_documents, write_run_changes
from transforms.publish.search.index import (
    SearchIndexError,
    configured_opensearch_url,
    opensearch_client,
    send_bulk_files,
)

DOCUMENT = {"_index": "datasets", "_id": "d1", "title": "Line\nbreak ✓", "slug": "s1"}


@dataclass
class BulkServer:
    """What the loopback OpenSearch was sent, and the ids it refuses or does not hold."""

    url: str
    requests: list[dict] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)

    def answer(self, body: str) -> dict:
        """OpenSearch's _bulk answer: one item per action, in order."""
        lines = iter(body.splitlines())
        items = []
        for line in lines:
            (operation, target), *_ = json.loads(line).items()
            if operation == "index":
                next(lines)  # the document
            if target["_id"] in self.refuse:
                items.append(
                    {
                        operation: {
                            "_id": target["_id"],
                            "status": 400,
                            "error": {"reason": "mapper_parsing_exception"},
                        }
                    }
                )
            elif operation == "delete" and target["_id"] in self.missing:
                items.append({operation: {"_id": target["_id"], "status": 404, "result": "not_found"}})
            else:
                items.append(
                    {operation: {"_id": target["_id"], "status": 201 if operation == "index" else 200}}
                )
        return {
            "took": 1,
            "errors": any(next(iter(i.values()))["status"] >= 300 for i in items),
            "items": items,
        }


@contextmanager
def bulk_server() -> Iterator[BulkServer]:
    """A loopback server that takes POST /_bulk like OpenSearch, recording each request."""
    state = BulkServer("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class names it so
            pass

        def do_POST(self):  # noqa: N802 - the name http.server dispatches on
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            answer = json.dumps(state.answer(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_bulk_actions_index_documents_and_delete_ids():
    actions = list(bulk_actions([DOCUMENT], ["gone"]))
    assert actions[0].count("\n") == 2 and actions[1].count("\n") == 1
    action, source = actions[0].splitlines()
    assert json.loads(action) == {"index": {"_index": "datasets", "_id": "d1"}}
    assert json.loads(source) == {"title": "Line\nbreak ✓", "slug": "s1"}
    assert json.loads(actions[1]) == {"delete": {"_index": "datasets", "_id": "gone"}}


def test_bulk_bodies_never_split_an_action():
    actions = [f'{{"delete": {{"_index": "datasets", "_id": "{n:04d}"}}}}\n' for n in range(10)]
    size = len(actions[0])
    bodies = list(bulk_bodies(actions, max_bytes=3 * size + 1))
    assert [body.count("\n") for body in bodies] == [3, 3, 3, 1]
    assert "".join(bodies) == "".join(actions)
    assert list(bulk_bodies(actions[:1], max_bytes=1)) == actions[:1]  # too big alone: it goes alone


def test_a_runs_changes_go_to_its_search_folder(tmp_path):
    files = write_run_changes(str(tmp_path), "run-1", [DOCUMENT], ["gone"])
    assert files == [str(tmp_path / "runs" / "run-1" / "search" / "part-00000.ndjson")]
    assert lake.read_text(files[0]) == "".join(bulk_actions([DOCUMENT], ["gone"]))


def test_sending_posts_each_file_as_one_bulk_request_with_the_secrets_credentials(tmp_path, aws):
    secret = boto3.client("secretsmanager").create_secret(
        Name="opensearch", SecretString=json.dumps({"username": "harvest", "password": "p@ss:word"})
    )["ARN"]
    documents = [{**DOCUMENT, "_id": f"d{n}"} for n in range(3)]
    files = [
        *write_run_changes(str(tmp_path), "run-1", documents[:2], []),
        *write_run_changes(str(tmp_path), "run-2", documents[2:], ["gone"]),
    ]
    with bulk_server() as server:
        sent = send_bulk_files(opensearch_client(server.url, secret), files)
    assert sent == 4
    assert [request["path"] for request in server.requests] == ["/_bulk", "/_bulk"]
    assert [request["body"] for request in server.requests] == [lake.read_text(uri) for uri in files]
    basic = base64.b64encode(b"harvest:p@ss:word").decode()
    assert {request["headers"]["Authorization"] for request in server.requests} == {f"Basic {basic}"}


def test_an_iam_users_keys_sign_the_requests(tmp_path, aws):
    secret = boto3.client("secretsmanager").create_secret(
        Name="opensearch-keys",
        SecretString=json.dumps({"access_key": "AKIDEXAMPLE", "secret_key": "s", "region": "us-gov-west-1"}),
    )["ARN"]
    with bulk_server() as server:
        send_bulk_files(
            opensearch_client(server.url, secret), write_run_changes(str(tmp_path), "r", [DOCUMENT], [])
        )
    authorization = server.requests[0]["headers"]["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-gov-west-1/es/aws4_request" in authorization


def test_refused_actions_fail_the_sending_and_absent_deletes_do_not(tmp_path):
    with bulk_server() as server:
        client = opensearch_client(server.url)
        server.missing = {"gone"}
        assert send_bulk_files(client, write_run_changes(str(tmp_path), "r1", [DOCUMENT], ["gone"])) == 2
        server.refuse = {"d1"}
        with pytest.raises(
            SearchIndexError, match="refused 1 of 1 actions: index d1: 400 mapper_parsing_exception"
        ):
            send_bulk_files(client, write_run_changes(str(tmp_path), "r2", [DOCUMENT], []))
    assert "Authorization" not in server.requests[0]["headers"]


def test_credentials_in_the_environments_url_are_sent(tmp_path, monkeypatch):
    with bulk_server() as server:
        monkeypatch.setenv("HARVEST_OPENSEARCH_URL", server.url.replace("http://", "http://admin:p%40ss@"))
        client = opensearch_client(configured_opensearch_url(""))
        send_bulk_files(client, write_run_changes(str(tmp_path), "r", [DOCUMENT], []))
    assert (
        server.requests[0]["headers"]["Authorization"] == f"Basic {base64.b64encode(b'admin:p@ss').decode()}"
    )


def test_a_password_on_the_command_line_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="HARVEST_OPENSEARCH_URL"):
        configured_opensearch_url("https://admin:secret@search.internal:9200")
    monkeypatch.setenv("HARVEST_OPENSEARCH_URL", "https://admin:secret@search.internal:9200")
    assert configured_opensearch_url("") == "https://admin:secret@search.internal:9200"
    assert configured_opensearch_url("https://search.internal") == "https://search.internal"


@pytest.mark.postgres
def test_search_export_writes_and_sends_every_datasets_document(harvester_db, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "dump"
    with bulk_server() as server:
        code = harvest(
            ["search-export", "--db-url", harvester_db, "--out", str(out), "--opensearch-url", server.url]
        )
    assert code == 0, capsys.readouterr().err
    with psycopg.connect(harvester_db) as conn:
        expected = "".join(bulk_actions(database_documents(conn)))
        (datasets,) = conn.execute("SELECT count(*) FROM dataset").fetchone()
    dump = [path.read_text(encoding="utf-8") for path in sorted(out.glob("part-*.ndjson"))]
    assert "".join(dump) == expected
    assert [request["body"] for request in server.requests] == dump
    count = expected.count('{"index"')
    assert count == datasets  # the snapshot's datasets and our examples (one per golden), each once
    assert f"wrote {count} dataset documents in 1 _bulk file(s)" in capsys.readouterr().out
    assert harvest(["search-export", "--db-url", harvester_db, "--out", str(out)]) == 2  # never over a dump
    assert "already exists" in capsys.readouterr().err


def test_an_amazon_opensearch_domain_is_signed_with_the_jobs_own_credentials(aws):
    client = opensearch_client("https://search-catalog-abc123.us-gov-west-1.es.amazonaws.com")
    auth = client.transport.kwargs["http_auth"]
    signer = auth.signer
    role = boto3.Session().get_credentials().access_key  # what boto3 finds (here moto's)
    assert (signer.region, signer.service, signer.credentials.access_key) == ("us-gov-west-1", "es", role)
    assert opensearch_client("https://search.internal:9200").transport.kwargs["http_auth"] is None
