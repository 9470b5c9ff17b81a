"""Tracing set up after gunicorn forks: a worker exports its spans to an OTLP/HTTP endpoint on loopback."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from tests import servers


class Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_a_worker_exports_its_spans_after_the_fork(tmp_path: Path):
    Collector.received.clear()
    otlp = ThreadingHTTPServer(("127.0.0.1", servers.free_port()), Collector)
    threading.Thread(target=otlp.serve_forever, daemon=True).start()
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = servers.app_env(
        database,
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{otlp.server_address[1]}",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env, workers=2)
    try:
        requests.get(server.url + "/api/v1/health/", timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(b"api/v1/health/" in body for _, body in Collector.received):
            time.sleep(0.1)
    finally:
        server.stop()
        otlp.shutdown()
    exported = [body for path, body in Collector.received if path == "/v1/traces"]
    assert any(b"api/v1/health/" in body and b"medcamp.request_id" in body for body in exported)
    assert any(b"medcamp" in body for body in exported)  # service.name
