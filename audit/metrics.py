"""The audit pipeline as numbers (core.metrics): events by family and outcome, each sink's
writes and failures, chain alarms, refused and throttled sign-ins by door, replayed writes.

Counted from the events themselves (`audit.events.built`), so every door and every command
is counted the same way; the sinks' own counts come from their handlers (`count_sinks`).
"""

from __future__ import annotations

import logging
from typing import Any

from core import metrics as M

ALARMS = {  # every kind is one of core.metrics.ALARM_KINDS, exported at 0 from start
    "audit.forgery_detected": "forgery",
    "audit.chain_rewritten": "rewritten",
    "audit.replay_detected": "replay",
    "audit.clock_skew": "clock_skew",  # its failure only: a clock that agrees again is no alarm
    "audit.ship_refused": "ship_refused",
}
DOORS = {"auth": "api", "route": "api", "admin": "admin"}
SINKS = ("console", "file")  # LogBull counts in its handler (audit.logbull_wire.Counters)


def on_event(sender: Any, record: dict[str, Any], **kwargs: Any) -> None:
    """Count one built event."""
    name, outcome = record["event"], record["outcome"]
    M.AUDIT_EVENTS.labels(name.split(".", 1)[0], outcome).inc()
    if name in ALARMS and outcome == "failure":
        M.CHAIN_ALARMS.labels(ALARMS[name]).inc()
    elif name == "auth.login" and outcome == "failure":
        door = DOORS.get(record.get("source", ""), "other")
        throttled = record.get("reason") == "throttled"
        (M.SIGN_IN_THROTTLED if throttled else M.SIGN_IN_FAILURES).labels(door).inc()
    elif name == "request.replayed":
        M.REPLAYS.inc()


def count_sinks(logger_name: str = "medcamp.audit") -> None:
    """Count what the console and file handlers wrote and failed to write (logging's handleError)."""
    for handler in logging.getLogger(logger_name).handlers:
        if handler.name in SINKS and not getattr(handler, "medcamp_counted", False):
            _count(handler, handler.name)


def _count(handler: logging.Handler, sink: str) -> None:
    emit, handle_error = handler.emit, handler.handleError
    failed = [False]  # emit runs under the handler's lock (logging.Handler.handle)

    def counted_error(record: logging.LogRecord) -> None:
        failed[0] = True
        M.SINK_FAILED.labels(sink).inc()
        handle_error(record)

    def counted_emit(record: logging.LogRecord) -> None:
        failed[0] = False
        emit(record)
        if not failed[0]:
            M.SINK_WRITTEN.labels(sink).inc()

    handler.handleError = counted_error  # type: ignore[method-assign]
    handler.emit = counted_emit  # type: ignore[method-assign]
    handler.medcamp_counted = True  # type: ignore[attr-defined]
