"""LogBull's server, as MedCamp talks to it: its limits and one exchange with it.

The server's contract (docs/logbull.md, read from LogBull v0.7.x's source):
POST {host}/api/v1/logs/receiving/{project_id}, body {"logs": [{level, message,
timestamp, fields}]}, 1-1000 logs and 10 MB a request, 64 KB an item, a message
of at most 10,000 characters, levels DEBUG/INFO/WARN/ERROR/FATAL only. It answers
202 {"accepted", "rejected", "errors": [{"index", "message"}]}; 400/401/403/404/413
for a refused request; 429 with Retry-After; 500; and any unknown path answers 200
with HTML (a host with a trailing slash "succeeds" while nothing is stored).

An `Exchange` sends one batch: it splits it to fit those limits, splits a 400/413
to isolate the item at fault (handed to `reject`, which keeps it), and after a
failure sets the time of the next attempt (exponential backoff, Retry-After
honoured). What becomes of a batch to retry is the handler's business.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

import requests

from core.metrics import LOGBULL_EVENTS, SINK_FAILED, SINK_WRITTEN

# Diagnostics of the sink itself go to stderr only (never back into the LogBull handler).
_diag = logging.getLogger("medcamp.logbull")

Item = dict[str, Any]

LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "CRITICAL": "FATAL"}
MAX_ITEMS = 1000
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # under the server's 10 MB
MAX_ITEM_BYTES = 60 * 1024  # under the server's 64 KB
MAX_MESSAGE_CHARS = 10_000
_PROJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def config_errors(host: str, project_id: str) -> list[str]:
    """What is wrong with a LogBull host and project id (empty when both are usable)."""
    errors = []
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.append(f"LOGBULL_HOST must be http(s)://host[:port], got {host!r}")
    elif parts.path not in ("",) or parts.query or parts.fragment:
        errors.append(
            f"LOGBULL_HOST must have no path, query or trailing slash, got {host!r}: "
            "LogBull answers 200 with its web page on unknown paths, so nothing would be stored"
        )
    else:
        try:
            parts.port  # noqa: B018  (raises on a malformed port)
        except ValueError:
            errors.append(f"LOGBULL_HOST has a malformed port: {host!r}")
    if not _PROJECT_ID.match(project_id):
        errors.append(f"LOGBULL_PROJECT_ID must be a UUID, got {project_id!r}")
    return errors


class Result(Enum):
    SENT = "sent"
    RETRY = "retry"


@dataclass
class Counters:
    """What a sink did with its events, safe to bump from any thread."""

    sent: int = 0
    queued: int = 0
    retried: int = 0
    spooled: int = 0
    dropped: int = 0
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self.lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)
        for name, delta in deltas.items():  # the same counts for Prometheus (core.metrics)
            if delta:
                LOGBULL_EVENTS.labels(name).inc(delta)
                if name == "sent":
                    SINK_WRITTEN.labels("logbull").inc(delta)
                elif name in ("rejected", "dropped"):
                    SINK_FAILED.labels("logbull").inc(delta)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                name: getattr(self, name) for name in ("sent", "queued", "retried", "spooled", "dropped", "rejected")
            }


class Exchange:
    """HTTP to one LogBull project from one process (its session is not shared across fork)."""

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: tuple[float, float],
        max_backoff: float,
        counters: Counters,
        reject: Callable[[list[tuple[Item, str]]], None],
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.counters = counters
        self.reject = reject
        self.backoff = 0.0
        self.next_attempt = 0.0
        self._session: requests.Session | None = None

    def waiting(self) -> bool:
        """True while a failure's backoff lasts."""
        return time.monotonic() < self.next_attempt

    def deliver(self, items: list[Item]) -> Result:
        """Send items (split to fit the server's limits); RETRY means keep them all."""
        for chunk in chunks(items):
            result = self.post(chunk)
            if result is Result.RETRY:
                return Result.RETRY
        return Result.SENT

    def post(self, items: list[Item]) -> Result:
        body = json.dumps({"logs": items}, ensure_ascii=True, default=str)
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        if self._session is None:
            self._session = requests.Session()
        try:
            response = self._session.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            return self._fail(f"unreachable ({type(exc).__name__})")
        status = response.status_code
        if status in (200, 201, 202):
            return self._accepted(items, response)
        if status == 429:
            return self._fail("rate limited (429)", retry_after=response.headers.get("Retry-After"))
        if status in (400, 413):
            return self._refused(items, f"{status} {error_text(response)}")
        return self._fail(f"{status} {error_text(response)}")

    def _accepted(self, items: list[Item], response: requests.Response) -> Result:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "accepted" not in answer:
            # Not LogBull's answer (e.g. its web page on a wrong path): nothing was stored.
            return self._fail(f"{response.status_code} without LogBull's answer; check LOGBULL_HOST")
        rejected: list[tuple[Item, str]] = []
        for error in answer.get("errors") or []:
            index = error.get("index")
            if isinstance(index, int) and 0 <= index < len(items):
                rejected.append((items[index], str(error.get("message", "rejected"))))
        if rejected:
            self.reject(rejected)
            _diag.error("LogBull rejected %d events: %s", len(rejected), rejected[0][1])
        self.counters.add(sent=len(items) - len(rejected), rejected=len(rejected))
        self.backoff = 0.0
        self.next_attempt = 0.0
        return Result.SENT

    def _refused(self, items: list[Item], why: str) -> Result:
        if len(items) == 1:
            self.reject([(items[0], why)])
            self.counters.add(rejected=1)
            return Result.SENT
        half = len(items) // 2
        for part in (items[:half], items[half:]):
            if self.post(part) is Result.RETRY:
                return Result.RETRY
        return Result.SENT

    def _fail(self, why: str, retry_after: str | None = None) -> Result:
        self.backoff = min(self.max_backoff, max(0.5, self.backoff * 2))
        wait = self.backoff
        if retry_after:
            with contextlib.suppress(ValueError):
                wait = min(self.max_backoff, max(wait, float(retry_after)))
        self.next_attempt = time.monotonic() + wait
        _diag.warning("LogBull delivery failed: %s; retrying in %.1fs", why, wait)
        return Result.RETRY


def fit(item: Item) -> tuple[Item, int]:
    """The item within the server's 64 KB (an oversized one keeps its identifying fields), and its size."""
    size = len(json.dumps(item, ensure_ascii=True, default=str))
    if size <= MAX_ITEM_BYTES:
        return item, size
    fields = item.get("fields") or {}
    keep = {k: fields[k] for k in ("event_id", "event", "outcome", "actor", "target") if k in fields}
    trimmed = {**item, "fields": {**keep, "truncated": True}}
    return trimmed, len(json.dumps(trimmed, ensure_ascii=True, default=str))


def chunks(items: list[Item]) -> list[list[Item]]:
    """Batches within the server's limits: 1000 items, 8 MB, each item under 64 KB."""
    out: list[list[Item]] = [[]]
    size = 0
    for original in items:
        item, item_size = fit(original)
        if out[-1] and (len(out[-1]) >= MAX_ITEMS or size + item_size > MAX_REQUEST_BYTES):
            out.append([])
            size = 0
        out[-1].append(item)
        size += item_size
    return [chunk for chunk in out if chunk]


def error_text(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text[:100]
    if isinstance(answer, dict):
        return str(answer.get("code") or answer.get("error") or "")[:100]
    return ""
