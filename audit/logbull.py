"""The LogBull sink: a logging handler that never blocks a request and loses nothing.

What the server accepts, and one exchange with it, are in audit.logbull_wire; the
spool on disk is audit.logbull_spool. How the handler behaves:
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
- After fork() the child starts a fresh queue, thread and HTTP session (gunicorn workers).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

from audit.logbull_spool import Spool
from audit.logbull_wire import LEVELS, MAX_ITEMS, MAX_MESSAGE_CHARS, Counters, Exchange, Item, Result, config_errors
from core.metrics import LOGBULL_QUEUE

# Diagnostics of the sink itself go to stderr only (never back into this handler).
_diag = logging.getLogger("medcamp.logbull")

_handlers: weakref.WeakSet[LogBullHandler] = weakref.WeakSet()

__all__ = ["LogBullHandler", "all_stats", "config_errors"]


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
        if self.spool.has_work():
            self._ensure_thread()  # a restarted process sends what an earlier one spooled

    # --- process state (fresh after fork) ------------------------------------------
    def _reset_process_state(self) -> None:
        self._pid = os.getpid()
        self._cv = threading.Condition()
        self._queue: deque[Item] = deque()
        self._inflight: list[Item] = []
        self._thread: threading.Thread | None = None
        self._stop = False
        self._spool_waiting = False
        self.counters = Counters()
        self.wire = Exchange(self.url, self.api_key, self.timeout, self.max_backoff, self.counters, self.spool.reject)

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():
            self._reset_process_state()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="logbull-sender", daemon=True)
            self._thread.start()

    # --- logging.Handler ------------------------------------------------------------
    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "audit_shipped", False):
            return  # stored: the shipper sends it from the store, in seal order (audit.shipper)
        try:
            item = self.to_item(record)
            if self._closed:
                self._spool_items([item])
                return
            self._ensure_thread()
            with self._cv:
                if len(self._queue) < self.queue_size:
                    self._queue.append(item)
                    LOGBULL_QUEUE.set(len(self._queue) + len(self._inflight))
                    self.counters.add(queued=1)
                    if len(self._queue) >= self.batch_size:
                        self._cv.notify()
                    return
                # Full (the sender is stuck on a hung server): the whole queue goes to disk as one
                # file, so the overflow costs one write per queue-full, not one per event.
                overflow = [*self._queue, item]
                self._queue.clear()
                LOGBULL_QUEUE.set(len(self._inflight))
            self._spool_items(overflow)
        except Exception:
            self.handleError(record)

    @staticmethod
    def to_item(record: logging.LogRecord) -> Item:
        event = getattr(record, "audit", None)
        fields: Item = dict(event) if event else {"logger": record.name}
        message = (event or {}).get("message") or record.getMessage() or record.name
        timestamp = (event or {}).get("timestamp") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        # The size limit is applied by the sender thread (logbull_wire.chunks), not on the request's thread.
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

    def exchange(self, reject: Callable[[list[tuple[Item, str]]], None] | None = None) -> Exchange:
        """A second HTTP exchange with this handler's server, for the shipper's thread (which
        keeps what the server refuses itself: `reject`)."""
        keep = reject or self.spool.reject
        return Exchange(self.url, self.api_key, self.timeout, self.max_backoff, self.counters, keep)

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
            if self._spool_waiting and not self._stop and not self.wire.waiting():
                self._drain_spool()
            with self._cv:
                if not self._queue and not self._stop:
                    timeout = self.flush_interval
                    if self._spool_waiting:  # wake when the backoff ends to retry the spool
                        timeout = min(timeout, max(0.01, self.wire.next_attempt - time.monotonic()))
                    self._cv.wait(timeout)
                stopping = self._stop
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.batch_size))]
                self._inflight = batch
            if batch:
                self._handle_fresh(batch)
            with self._cv:
                self._inflight = []
                more = bool(self._queue)
                LOGBULL_QUEUE.set(len(self._queue))
            if stopping and not more:
                return

    def _handle_fresh(self, batch: list[Item]) -> None:
        if self.wire.waiting() or self.wire.deliver(batch) is Result.RETRY:
            # Keep them on disk, unless close() already took this batch to spool it itself.
            with self._cv:
                if self._inflight is batch:
                    self._spool_items(batch)
                    self._inflight = []

    def _drain_spool(self) -> None:
        self._spool_waiting = False
        for path in self.spool.pending():
            if self._stop or self.wire.waiting():
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
            if self.wire.deliver(items) is Result.SENT:
                claimed.unlink(missing_ok=True)
            else:
                self.spool.release(claimed)
                self._spool_waiting = True
                return

    def _spool_items(self, items: list[Item]) -> None:
        try:
            self.spool.put(items)
            self.counters.add(spooled=len(items))
            self._spool_waiting = True
        except OSError as exc:
            self.counters.add(dropped=len(items))
            _diag.error("LogBull spool write failed, %d events dropped: %s", len(items), exc)


def all_stats() -> dict[str, int]:
    """Counters of every LogBull sink in this process, summed (for the health endpoint)."""
    total: dict[str, int] = {}
    for handler in list(_handlers):
        for key, value in handler.stats().items():
            total[key] = total.get(key, 0) + value
    return total
