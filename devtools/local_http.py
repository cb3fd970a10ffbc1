"""One small static HTTP server on 127.0.0.1 for tests, `make run` and benchmarks.

It serves a folder the way a publisher's web server would: files with ETag and Last-Modified,
304 answers to conditional requests, Apache-style listings for folders without index.html.
Tests can script extra paths (errors, Retry-After, slow answers, redirects, huge bodies).
"""

import email.utils
import html
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

CONTENT_TYPES = {".xml": "application/xml", ".json": "application/json", ".html": "text/html; charset=utf-8"}

# A route answers one path: a dict with any of status (200), headers ({}), body (b""), delay (0 s),
# drip (s: the whole answer, status line and headers included, sent one byte per that many seconds),
# or a callable taking the request handler (its .headers, .path) and returning such a dict, for
# answers that change between requests or depend on the request.
Route = dict | Callable[[BaseHTTPRequestHandler], dict]


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now (for a server a test or a tool starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listing_page(folder: Path, url_path: str) -> bytes:
    """An Apache mod_autoindex-like page: sort links, a parent link, then one row per entry."""
    rows = [
        '<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>'
        '<th><a href="?C=S;O=A">Size</a></th></tr>',
        '<tr><td><a href="../">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td></tr>',
    ]
    for entry in sorted(folder.iterdir()):
        stat = entry.stat()
        name = entry.name + ("/" if entry.is_dir() else "")
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%d %H:%M")
        size = "-" if entry.is_dir() else f"{stat.st_size}"
        rows.append(
            f'<tr><td><a href="{quote(name)}">{html.escape(name)}</a></td>'
            f'<td align="right">{modified}  </td><td align="right">{size}</td></tr>'
        )
    title = html.escape(f"Index of {url_path}")
    page = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><table>{''.join(rows)}</table></body></html>"
    return page.encode("utf-8")


def _handler(root: Path, latency_s: float, routes: dict[str, Route]) -> type[BaseHTTPRequestHandler]:
    class StaticHandler(BaseHTTPRequestHandler):
        server_version = "local-http/1.0"

        def log_message(self, format, *args):  # noqa: A002 - the base class names it so
            pass  # tests and benchmarks stay quiet

        def do_GET(self):  # noqa: N802 - the name http.server dispatches on
            if latency_s:
                time.sleep(latency_s)
            path = urlsplit(self.path).path
            if path in routes:
                route = routes[path]
                self._answer_route(route(self) if callable(route) else route)
                return
            target = (root / unquote(path).lstrip("/")).resolve()
            if root not in (target, *target.parents) or not target.exists():
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
            elif target.is_dir() and not path.endswith("/"):
                self._send(301, {"Location": path + "/"}, b"")
            elif target.is_dir() and (target / "index.html").is_file():
                self._send_file(target / "index.html")
            elif target.is_dir():
                self._send(200, {"Content-Type": "text/html; charset=utf-8"}, _listing_page(target, path))
            else:
                self._send_file(target)

        def _answer_route(self, route: dict) -> None:
            if route.get("delay"):
                time.sleep(route["delay"])
            body = route.get("body", b"")
            body = body.encode() if isinstance(body, str) else body
            if route.get("drip"):
                self._drip(route["drip"], route.get("status", 200), route.get("headers", {}), body)
                return
            self._send(route.get("status", 200), route.get("headers", {}), body)

        def _drip(self, seconds: float, status: int, headers: dict, body: bytes) -> None:
            """A server that answers, but a byte at a time: it never goes quiet long enough to time out."""
            head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(body)}\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
            self.close_connection = True
            try:
                for byte in head.encode() + body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(seconds)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should

        def _send_file(self, path: Path) -> None:
            stat = path.stat()
            etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
            headers = {
                "ETag": etag,
                "Last-Modified": last_modified,
                "Content-Type": CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            }
            if self._unchanged(etag, int(stat.st_mtime)):
                self._send(304, {"ETag": etag, "Last-Modified": last_modified}, b"")
            else:
                headers["Content-Length"] = str(stat.st_size)
                self._send(200, headers, b"")
                with path.open("rb") as body:  # streamed: a benchmark catalog is hundreds of MB
                    try:
                        shutil.copyfileobj(body, self.wfile, 1024 * 1024)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

        def _unchanged(self, etag: str, mtime: int) -> bool:
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match:
                return if_none_match.strip() in (etag, "*")
            since = self.headers.get("If-Modified-Since")
            parsed = email.utils.parsedate_tz(since) if since else None
            return parsed is not None and email.utils.mktime_tz(parsed) >= mtime

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a size cap or a timeout); that is what tests provoke

    return StaticHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open many connections at once


@contextmanager
def serve_folder(
    root: Path, *, latency_s: float = 0.0, routes: dict[str, Route] | None = None, port: int = 0
) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 while the block runs; yields the base URL ending in '/'.

    `port` 0 takes a free port; a fixed port keeps record URLs (a WAF's identifiers) the same across runs.
    """
    server = _Server(("127.0.0.1", port), _handler(Path(root).resolve(), latency_s, dict(routes or {})))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-http", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
