"""A loopback LogBull server keeping the ingest contract of docs/logbull.md (LogBull v0.7.x).

Modes: "ok" (202, per-item validation), "400", "401", "404", "413", "429" (with
Retry-After), "500", "html" (200 with a web page, as on an unknown path), "hang"
(holds the request unanswered until released or `hang_seconds` pass, then drops
it unstored, like a wedged server that is restarted). stop() closes the port,
so the client meets "connection refused"; start() reopens the same port.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROJECT_ID = "0b6f3c1e-5d7a-4e2b-9c3f-1a2b3c4d5e6f"
LEVELS = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}
INGEST = re.compile(r"^/api/v1/logs/receiving/([^/]+)$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HTML = b"<!doctype html><html><body>LogBull</body></html>"


class FakeLogBull:
    def __init__(self, project_id: str = PROJECT_ID, api_key: str | None = None) -> None:
        self.project_id = project_id
        self.api_key = api_key
        self.mode = "ok"
        self.retry_after = "1"
        self.hang_seconds = 30.0
        self.clock_ahead = 0.0  # seconds this server's clock runs ahead (it refuses FUTURE_TIMESTAMP by it)
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.items: list[dict[str, Any]] = []  # every accepted log item
        self.answers: list[int] = []  # status of every ingest request
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeLogBull:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            with self.lock:
                connections, self._connections = self._connections, set()
            for conn in connections:  # a stopped server keeps no keep-alive connection open
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self.release.clear()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode != "hang":
            self.release.set()
            self.release = threading.Event()

    def event_ids(self) -> list[str]:
        with self.lock:
            return [item["fields"].get("event_id") for item in self.items if isinstance(item.get("fields"), dict)]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.items) >= count:
                    return True
            time.sleep(0.02)
        return False

    # --- the contract -----------------------------------------------------------
    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        match = INGEST.match(path)
        if not match:
            return 200, {"Content-Type": "text/html"}, HTML
        mode = self.mode
        if mode == "hang":
            # A wedged server: the request is never answered; once released (the server
            # "restarts") the connection is dropped and nothing of it is stored.
            self.release.wait(self.hang_seconds)
            return 0, {}, b""
        if mode == "html":
            return 200, {"Content-Type": "text/html"}, HTML
        if mode == "500":
            return _json(500, {"error": "Failed to process logs"})
        if mode == "429":
            status, hdrs, out = _json(429, {"error": "rate limit exceeded"})
            return status, {**hdrs, "Retry-After": self.retry_after}, out
        if mode in ("400", "401", "404", "413"):
            return _json(int(mode), {"error": "forced", "code": "FORCED"})
        project = match.group(1)
        if not UUID.match(project):
            return _json(400, {"error": "Invalid project ID"})
        if project != self.project_id:
            return _json(404, {"error": "project not found", "code": "PROJECT_NOT_FOUND"})
        if self.api_key is not None:
            given = headers.get("X-API-Key")
            if not given:
                return _json(401, {"error": "API key required", "code": "API_KEY_REQUIRED"})
            if given != self.api_key:
                return _json(401, {"error": "invalid API key", "code": "API_KEY_INVALID"})
        if len(body) > 10 * 1024 * 1024:
            return _json(413, {"error": "request too large"})
        try:
            logs = json.loads(body)["logs"]
            assert isinstance(logs, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            return _json(400, {"error": "Invalid request format"})
        if not 1 <= len(logs) <= 1000:
            return _json(400, {"error": "Invalid request format"})
        errors = []
        accepted = []
        for index, item in enumerate(logs):
            problem = _item_problem(item, time.time() + self.clock_ahead)
            if problem:
                errors.append({"index": index, "message": problem})
            else:
                accepted.append(item)
        with self.lock:
            self.items.extend(accepted)
        answer: dict[str, Any] = {"accepted": len(accepted), "rejected": len(errors)}
        if errors:
            answer["errors"] = errors
        return _json(202, answer)


def _item_problem(item: Any, now: float) -> str | None:
    if not isinstance(item, dict):
        return "INVALID_FORMAT"
    level = item.get("level")
    if isinstance(level, str) and level.lower() == "warning":
        level = "WARN"  # the server maps lowercase "warning"; nothing maps CRITICAL
    if level not in LEVELS:
        return "INVALID_LOG_LEVEL"
    message = item.get("message")
    if not message:
        return "MESSAGE_EMPTY"
    if len(message) > 10_000:
        return "MESSAGE_TOO_LONG"
    if len(json.dumps(item)) > 64 * 1024:
        return "LOG_TOO_LARGE"
    stamp = item.get("timestamp")
    if stamp:
        try:
            when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError:
            return "INVALID_TIMESTAMP"
        if when.tzinfo and when.timestamp() > now + 60:
            return "FUTURE_TIMESTAMP"
    return None


def _json(status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _handler_for(fake: FakeLogBull) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with fake.lock:
                fake._connections.add(self.connection)

        def finish(self) -> None:
            with fake.lock:
                fake._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, headers, out = fake.answer(self.path, self.headers, body)
            if status == 0:
                self.close_connection = True
                return
            if INGEST.match(self.path):
                with fake.lock:
                    fake.answers.append(status)
            self._send(status, headers, out)

        def do_GET(self) -> None:
            if self.path == "/api/v1/system/health":
                self._send(*_json(200, {"status": "ok"}))
            else:
                self._send(200, {"Content-Type": "text/html"}, HTML)

        def _send(self, status: int, headers: dict[str, str], out: bytes) -> None:
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
            except OSError:
                pass  # the client gave up (timeout) while we hung

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
