"""A local HTTP server in a thread that answers like the rate sources do, from the recorded-format files in
tests/data, so the real provider code (httpx, forex-python's requests) runs without the network."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parents[1] / "data"
ECB_PREFIX = "/stats/eurofxref/"
FOREX_PREFIX = "/api/"


class RatesServer:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.requests: list[str] = []
        # path -> (status, body): answers that replace the recorded files, to break a source on purpose.
        self.overrides: dict[str, tuple[int, bytes]] = {}

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def ecb_url(self) -> str:
        return self.url + ECB_PREFIX

    @property
    def forex_url(self) -> str:
        return self.url + FOREX_PREFIX

    def paths(self) -> list[str]:
        return [urlsplit(r).path for r in self.requests]

    def answer(self, target: str) -> tuple[int, bytes, str]:
        self.requests.append(target)
        path = urlsplit(target).path
        if path in self.overrides:
            status, body = self.overrides[path]
            return status, body, "application/octet-stream"
        if path.startswith(ECB_PREFIX):
            file = DATA / path.removeprefix(ECB_PREFIX)
            content_type = "text/xml"
        elif path.startswith(FOREX_PREFIX):
            file = DATA / "forex" / (path.removeprefix(FOREX_PREFIX) + ".json")
            content_type = "application/json"
        else:
            return 404, b"not found", "text/plain"
        if file.parent not in (DATA, DATA / "forex") or not file.is_file():
            return 404, b'{"error": "no rates for this date"}', content_type
        return 200, file.read_bytes(), content_type


@contextmanager
def rates_server() -> Iterator[RatesServer]:
    holder: list[RatesServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, content_type = holder[0].answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(RatesServer(server))
    # A short poll: shutdown() waits for the loop to notice, which is half a second by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
