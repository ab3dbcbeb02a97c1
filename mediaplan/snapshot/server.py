"""A small threaded HTTP server for the snapshot (and for test fixtures).

URL /<host>/<path>?<query> maps to the file sites/<host>/<path>[index.html][__<query>].
A sibling file `<name>.status` makes the server answer with that HTTP status (always, or
for the first N requests: "429 1"), and
`<name>.headers` adds headers, so tests can stage 5xx, 429 + Retry-After or slow bodies.
"""

from __future__ import annotations

import hashlib
import mimetypes
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from mediaplan.snapshot import SITES_DIR

TYPES = {".rss": "application/rss+xml; charset=utf-8", ".xml": "application/xml; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


def _content_type(name: str) -> str:
    base = name.split("__", 1)[0]
    suffix = Path(base).suffix
    if suffix in TYPES:
        return TYPES[suffix]
    if base.endswith("videos.xml"):
        return "application/atom+xml; charset=utf-8"
    return mimetypes.guess_type(base)[0] or "application/octet-stream"


class SnapshotHandler(BaseHTTPRequestHandler):
    root: Path = SITES_DIR
    server_version = "mediaplan-snapshot/1"

    def log_request(self, code="-", size="-"):  # keep test and demo output clean; remember what was asked
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.server.statuses.append((self.path, int(getattr(code, "value", code)), time.monotonic()))  # type: ignore[attr-defined]

    def log_message(self, fmt, *args):
        pass

    def _resolve(self) -> Path | None:
        parts = urlsplit(self.path)
        rel = unquote(parts.path).lstrip("/")
        if rel.endswith("/") or rel == "":
            rel += "index.html"
        candidate = self.root / (f"{rel}__{parts.query}" if parts.query else rel)
        if parts.query and not candidate.exists():
            candidate = self._by_query_subset(rel, parts.query) or self.root / rel
        if candidate.is_dir():
            candidate = candidate / "index.html"
        try:
            candidate.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        return candidate if candidate.exists() or candidate.with_name(candidate.name + ".status").exists() else None

    def _by_query_subset(self, rel: str, query: str) -> Path | None:
        """`name__after=X` answers any query that contains after=X (API pagination cursors)."""
        asked = set(parse_qsl(query))
        folder = (self.root / rel).parent
        if not folder.is_dir():
            return None
        for option in sorted(folder.glob(f"{Path(rel).name}__*")):
            if option.suffix in (".status", ".headers"):
                continue
            wanted = set(parse_qsl(option.name.split("__", 1)[1]))
            if wanted and wanted <= asked:
                return option
        return None

    def do_GET(self):  # noqa: N802
        path = self._resolve()
        if path is None:
            self.send_error(404, "Not Found")
            return
        status_file = path.with_name(path.name + ".status")
        status = 200
        if status_file.exists():  # "503" always, or "429 2": the first two requests only; "RESET" drops the connection
            parts = status_file.read_text().split()
            if parts[0] == "RESET":
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                return
            with self.server.lock:  # type: ignore[attr-defined]
                n = self.server.counts[self.path] = self.server.counts.get(self.path, 0) + 1  # type: ignore[attr-defined]
            if len(parts) == 1 or n <= int(parts[1]):
                status = int(parts[0])
        body = path.read_bytes() if path.exists() else b""
        headers_file = path.with_name(path.name + ".headers")
        extra = {}
        if headers_file.exists():
            for line in headers_file.read_text().splitlines():
                if ":" in line:
                    k, v = line.split(":", 1)
                    extra[k.strip()] = v.strip()
        delay = float(extra.pop("X-Delay", "0"))
        if delay:
            time.sleep(delay)
        etag = f'"{hashlib.md5(body).hexdigest()[:16]}"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(status)
        self.send_header("Content-Type", extra.pop("Content-Type", _content_type(path.name)))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that gave up (timeout, cancelled download) is expected here, not an error to print."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class SnapshotServer:
    """Start on a free port in a background thread: `with SnapshotServer() as url: ...`."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        handler = type("Handler", (SnapshotHandler,), {"root": Path(root or SITES_DIR)})
        self.httpd = _QuietServer((host, port), handler)
        self.httpd.hits = []  # type: ignore[attr-defined]
        self.httpd.statuses = []  # type: ignore[attr-defined]
        self.httpd.counts = {}  # type: ignore[attr-defined]
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[str]:
        return self.httpd.hits  # type: ignore[attr-defined]

    @property
    def statuses(self) -> list[tuple[str, int, float]]:
        return self.httpd.statuses  # type: ignore[attr-defined]

    def start(self) -> str:
        self.thread.start()
        return self.url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
