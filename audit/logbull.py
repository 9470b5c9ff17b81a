"""The LogBull sink: a logging handler that never blocks a request and loses nothing.

The server's contract (docs/logbull.md, read from LogBull v0.7.x's source):
POST {host}/api/v1/logs/receiving/{project_id}, body {"logs": [{level, message,
timestamp, fields}]}, 1-1000 logs and 10 MB a request, 64 KB an item, a message
of at most 10,000 characters, levels DEBUG/INFO/WARN/ERROR/FATAL only. It answers
202 {"accepted", "rejected", "errors": [{"index", "message"}]}; 400/401/403/404/413
for a refused request; 429 with Retry-After; 500; and any unknown path answers 200
with HTML (a host with a trailing slash "succeeds" while nothing is stored).

How it behaves:
- emit() only appends to an in-memory queue; a background thread sends batches.
  Memory holds at most LOGBULL_QUEUE_SIZE events plus the batch in flight; a full
  queue is written to the spool on disk as one file instead of growing or dropping.
- A batch that cannot be sent (connection error, timeout, 5xx, 429, 401/403/404,
  a 200 that is not LogBull's answer) is written to the spool directory as one
  file, then re-sent with exponential backoff (Retry-After honoured) until the
  server accepts it; the file is deleted only after a 202. Any process sharing
  the directory may send it: a file is claimed by an atomic rename, and claims
  of dead processes are released, so spooled events reach the server once.
- 400 and 413 split the batch to isolate the item at fault; an item the server
  rejects for good (in a 202's errors, or a lone 400) goes to rejected.jsonl.
- At exit the queue is flushed within LOGBULL_EXIT_TIMEOUT; what is left is spooled.
- After fork() the child starts a fresh queue and thread (gunicorn workers).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import re
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

# Diagnostics of the sink itself go to stderr only (never back into this handler).
_diag = logging.getLogger("medcamp.logbull")

LEVELS = {"DEBUG": "DEBUG", "INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "CRITICAL": "FATAL"}
MAX_ITEMS = 1000
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # under the server's 10 MB
MAX_ITEM_BYTES = 60 * 1024  # under the server's 64 KB
MAX_MESSAGE_CHARS = 10_000
_PROJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_handlers: weakref.WeakSet[LogBullHandler] = weakref.WeakSet()


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

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                name: getattr(self, name) for name in ("sent", "queued", "retried", "spooled", "dropped", "rejected")
            }


class Spool:
    """One JSON file per unsent batch in a directory that several processes may share."""

    SUFFIX = ".batch"

    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, items: list[dict[str, Any]]) -> Path:
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{self.SUFFIX}"
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            json.dump({"logs": items}, fh, ensure_ascii=True)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.dir / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        return sorted(self.dir.glob(f"*{self.SUFFIX}"))

    def claim(self, path: Path) -> Path | None:
        """Take a file for this process; None when another process took it first."""
        claimed = path.with_name(f"{path.name}.claimed-{os.getpid()}")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    def release(self, claimed: Path) -> None:
        original = claimed.name.rsplit(".claimed-", 1)[0]
        with contextlib.suppress(FileNotFoundError):
            os.rename(claimed, claimed.with_name(original))

    def release_dead_claims(self) -> None:
        for claimed in self.dir.glob(f"*{self.SUFFIX}.claimed-*"):
            pid = int(claimed.name.rsplit("-", 1)[1])
            if pid != os.getpid() and not _alive(pid):
                self.release(claimed)

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        with open(path, encoding="ascii") as fh:
            return list(json.load(fh)["logs"])

    def reject(self, items: list[tuple[dict[str, Any], str]]) -> None:
        """Items the server refuses for good are kept, with the reason, not dropped."""
        with open(self.dir / "rejected.jsonl", "a", encoding="ascii") as fh:
            for item, why in items:
                fh.write(json.dumps({"error": why, "log": item}, ensure_ascii=True) + "\n")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LogBullHandler(logging.Handler):
    def __init__(
        self,
        host: str,
        project_id: str,
        api_key: str = "",
        spool_dir: str = "logs/logbull-spool",
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        batch_size: int = 500,
        queue_size: int = 10000,
        flush_interval: float = 1.0,
        max_backoff: float = 60.0,
        exit_timeout: float = 5.0,
        level: int = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        problems = config_errors(host, project_id)
        if problems:
            raise ValueError("; ".join(problems))
        self.url = f"{host}/api/v1/logs/receiving/{project_id}"
        self.api_key = api_key
        self.timeout = (connect_timeout, read_timeout)
        self.batch_size = max(1, min(batch_size, MAX_ITEMS))
        self.queue_size = queue_size
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff
        self.exit_timeout = exit_timeout
        self.spool = Spool(spool_dir)
        self._closed = False
        self._reset_process_state()
        _handlers.add(self)
        ref = weakref.ref(self)

        def after_fork_in_child() -> None:
            handler = ref()
            if handler is not None:
                handler._reset_process_state()

        def at_exit() -> None:
            handler = ref()
            if handler is not None:
                handler.close()

        os.register_at_fork(after_in_child=after_fork_in_child)
        atexit.register(at_exit)
        if self.spool.pending() or list(self.spool.dir.glob("*.claimed-*")):
            self._ensure_thread()  # a restarted process sends what an earlier one spooled

    # --- process state (fresh after fork) ------------------------------------------
    def _reset_process_state(self) -> None:
        self._pid = os.getpid()
        self._cv = threading.Condition()
        self._queue: deque[dict[str, Any]] = deque()
        self._inflight: list[dict[str, Any]] = []
        self._thread: threading.Thread | None = None
        self._stop = False
        self._backoff = 0.0
        self._next_attempt = 0.0
        self._spool_waiting = False
        self._session: requests.Session | None = None
        self.counters = Counters()

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():
            self._reset_process_state()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="logbull-sender", daemon=True)
            self._thread.start()

    # --- logging.Handler ------------------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:
        try:
            item = self.to_item(record)
            if self._closed:
                self._spool_items([item])
                return
            self._ensure_thread()
            with self._cv:
                if len(self._queue) < self.queue_size:
                    self._queue.append(item)
                    self.counters.add(queued=1)
                    if len(self._queue) >= self.batch_size:
                        self._cv.notify()
                    return
                # Full (the sender is stuck on a hung server): the whole queue goes to disk as one
                # file, so the overflow costs one write per queue-full, not one per event.
                overflow = [*self._queue, item]
                self._queue.clear()
            self._spool_items(overflow)
        except Exception:
            self.handleError(record)

    @staticmethod
    def to_item(record: logging.LogRecord) -> dict[str, Any]:
        event = getattr(record, "audit", None)
        fields: dict[str, Any] = dict(event) if event else {"logger": record.name}
        message = (event or {}).get("message") or record.getMessage() or record.name
        timestamp = (event or {}).get("timestamp") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        # The size limit is applied by the sender thread (_chunks), not on the request's thread.
        return {
            "level": LEVELS.get(record.levelname, "INFO"),
            "message": str(message)[:MAX_MESSAGE_CHARS],
            "timestamp": timestamp,
            "fields": fields,
        }

    def flush(self) -> None:
        """Send what is queued now (bounded by the exit timeout); used at exit and in tests."""
        deadline = time.monotonic() + self.exit_timeout
        with self._cv:
            self._cv.notify()
        while time.monotonic() < deadline:
            with self._cv:
                idle = not self._queue and not self._inflight
            if idle:
                return
            if self._thread is None or not self._thread.is_alive():
                break
            time.sleep(0.01)

    def close(self) -> None:
        if self._closed:
            return
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            with self._cv:
                self._stop = True
                self._cv.notify()
            self._thread.join(self.exit_timeout)
        self._closed = True
        with self._cv:
            leftover = self._inflight + list(self._queue)
            self._inflight, self._queue = [], deque()
        if leftover:
            self._spool_items(leftover)
        super().close()

    def stats(self) -> dict[str, int]:
        data = self.counters.snapshot()
        with self._cv:
            data["queued"] = len(self._queue) + len(self._inflight)
        data["spool_files"] = len(self.spool.pending())
        return data

    # --- the sender thread ----------------------------------------------------------
    def _run(self) -> None:
        self.spool.release_dead_claims()
        self._spool_waiting = bool(self.spool.pending())
        while True:
            if self._spool_waiting and not self._stop and time.monotonic() >= self._next_attempt:
                self._drain_spool()
            with self._cv:
                if not self._queue and not self._stop:
                    timeout = self.flush_interval
                    if self._spool_waiting:  # wake when the backoff ends to retry the spool
                        timeout = min(timeout, max(0.01, self._next_attempt - time.monotonic()))
                    self._cv.wait(timeout)
                stopping = self._stop
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.batch_size))]
                self._inflight = batch
            if batch:
                self._handle_fresh(batch)
            with self._cv:
                self._inflight = []
                more = bool(self._queue)
            if stopping and not more:
                return

    def _handle_fresh(self, batch: list[dict[str, Any]]) -> None:
        backing_off = time.monotonic() < self._next_attempt
        if backing_off or self._deliver(batch) is Result.RETRY:
            # Keep them on disk, unless close() already took this batch to spool it itself.
            with self._cv:
                if self._inflight is batch:
                    self._spool_items(batch)
                    self._inflight = []

    def _drain_spool(self) -> None:
        self._spool_waiting = False
        for path in self.spool.pending():
            if self._stop or time.monotonic() < self._next_attempt:
                self._spool_waiting = True
                return
            claimed = self.spool.claim(path)
            if claimed is None:
                continue
            try:
                items = self.spool.read(claimed)
            except (OSError, ValueError, KeyError) as exc:
                _diag.error("LogBull spool file %s is unreadable: %s", claimed.name, exc)
                claimed.rename(claimed.with_name(claimed.name + ".bad"))
                continue
            self.counters.add(retried=len(items))
            if self._deliver(items) is Result.SENT:
                claimed.unlink(missing_ok=True)
            else:
                self.spool.release(claimed)
                self._spool_waiting = True
                return

    def _spool_items(self, items: list[dict[str, Any]]) -> None:
        try:
            self.spool.put(items)
            self.counters.add(spooled=len(items))
            self._spool_waiting = True
        except OSError as exc:
            self.counters.add(dropped=len(items))
            _diag.error("LogBull spool write failed, %d events dropped: %s", len(items), exc)

    # --- one HTTP exchange ----------------------------------------------------------
    def _deliver(self, items: list[dict[str, Any]]) -> Result:
        """Send items (split to fit the server's limits); RETRY means keep them all."""
        for chunk in _chunks(items):
            result = self._post(chunk)
            if result is Result.RETRY:
                return Result.RETRY
        return Result.SENT

    def _post(self, items: list[dict[str, Any]]) -> Result:
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
            return self._refused(items, f"{status} {_error_text(response)}")
        return self._fail(f"{status} {_error_text(response)}")

    def _accepted(self, items: list[dict[str, Any]], response: requests.Response) -> Result:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "accepted" not in answer:
            # Not LogBull's answer (e.g. its web page on a wrong path): nothing was stored.
            return self._fail(f"{response.status_code} without LogBull's answer; check LOGBULL_HOST")
        rejected: list[tuple[dict[str, Any], str]] = []
        for error in answer.get("errors") or []:
            index = error.get("index")
            if isinstance(index, int) and 0 <= index < len(items):
                rejected.append((items[index], str(error.get("message", "rejected"))))
        if rejected:
            self.spool.reject(rejected)
            _diag.error("LogBull rejected %d events: %s", len(rejected), rejected[0][1])
        self.counters.add(sent=len(items) - len(rejected), rejected=len(rejected))
        self._backoff = 0.0
        self._next_attempt = 0.0
        return Result.SENT

    def _refused(self, items: list[dict[str, Any]], why: str) -> Result:
        if len(items) == 1:
            self.spool.reject([(items[0], why)])
            self.counters.add(rejected=1)
            return Result.SENT
        half = len(items) // 2
        for part in (items[:half], items[half:]):
            if self._post(part) is Result.RETRY:
                return Result.RETRY
        return Result.SENT

    def _fail(self, why: str, retry_after: str | None = None) -> Result:
        self._backoff = min(self.max_backoff, max(0.5, self._backoff * 2))
        wait = self._backoff
        if retry_after:
            with contextlib.suppress(ValueError):
                wait = min(self.max_backoff, max(wait, float(retry_after)))
        self._next_attempt = time.monotonic() + wait
        _diag.warning("LogBull delivery failed: %s; retrying in %.1fs", why, wait)
        return Result.RETRY


def fit(item: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The item within the server's 64 KB (an oversized one keeps its identifying fields), and its size."""
    size = len(json.dumps(item, ensure_ascii=True, default=str))
    if size <= MAX_ITEM_BYTES:
        return item, size
    fields = item.get("fields") or {}
    keep = {k: fields[k] for k in ("event_id", "event", "outcome", "actor", "target") if k in fields}
    trimmed = {**item, "fields": {**keep, "truncated": True}}
    return trimmed, len(json.dumps(trimmed, ensure_ascii=True, default=str))


def _chunks(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Batches within the server's limits: 1000 items, 8 MB, each item under 64 KB."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for original in items:
        item, item_size = fit(original)
        if chunks[-1] and (len(chunks[-1]) >= MAX_ITEMS or size + item_size > MAX_REQUEST_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += item_size
    return [chunk for chunk in chunks if chunk]


def _error_text(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return response.text[:100]
    if isinstance(answer, dict):
        return str(answer.get("code") or answer.get("error") or "")[:100]
    return ""


def all_stats() -> dict[str, int]:
    """Counters of every LogBull sink in this process, summed (for the health endpoint)."""
    total: dict[str, int] = {}
    for handler in list(_handlers):
        for key, value in handler.stats().items():
            total[key] = total.get(key, 0) + value
    return total
