"""The audit pipeline's counters: alarms, throttled sign-ins, replays, and a sink that fails to write."""

from __future__ import annotations

import io
import logging

import pytest

from audit import metrics
from core import metrics as M


def count(metric, *labels: str) -> float:
    return (metric.labels(*labels) if labels else metric)._value.get()


def event(name: str, outcome: str = "success", **extra: str) -> dict:
    return {"event": name, "outcome": outcome, **extra}


def counted() -> list[float]:
    return [
        count(M.CHAIN_ALARMS, "forgery"),
        count(M.CHAIN_ALARMS, "rewritten"),
        count(M.SIGN_IN_THROTTLED, "admin"),
        count(M.SIGN_IN_FAILURES, "api"),
        count(M.REPLAYS),
    ]


def test_alarms_throttles_and_replays_are_counted():
    before = counted()
    metrics.on_event(None, event("audit.forgery_detected", "failure"))
    metrics.on_event(None, event("audit.chain_rewritten", "failure"))
    metrics.on_event(None, event("auth.login", "failure", source="admin", reason="throttled"))
    metrics.on_event(None, event("auth.login", "failure", source="auth", reason="invalid_credentials"))
    metrics.on_event(None, event("request.replayed"))
    metrics.on_event(None, event("auth.login", "success", source="auth"))  # a sign-in that worked: no failure
    assert [a - b for a, b in zip(counted(), before, strict=True)] == [1, 1, 1, 1, 1]


class Broken(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("No space left on device")


def test_a_sink_that_cannot_write_is_counted_as_failed(monkeypatch):
    logger = logging.getLogger("medcamp.test_sinks")
    handler = logging.StreamHandler(Broken())
    handler.name = "file"
    logger.addHandler(handler)
    monkeypatch.setattr(logging, "raiseExceptions", False)  # as in production: handleError stays quiet
    try:
        metrics.count_sinks("medcamp.test_sinks")
        failed, written = count(M.SINK_FAILED, "file"), count(M.SINK_WRITTEN, "file")
        logger.warning("an event")
        assert count(M.SINK_FAILED, "file") == failed + 1 and count(M.SINK_WRITTEN, "file") == written
        handler.setStream(io.StringIO())
        logger.warning("another")
        assert count(M.SINK_WRITTEN, "file") == written + 1
    finally:
        logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_store_that_cannot_write_is_counted_as_failed(monkeypatch):
    from audit import event_types as E
    from audit import store
    from audit.events import emit

    def full_disk(record):
        raise OSError("database or disk is full")

    monkeypatch.setattr(store, "insert", full_disk)
    failed = count(M.SINK_FAILED, "store")
    with pytest.raises(OSError):
        emit(E.AUDIT_EXPORTED)
    assert count(M.SINK_FAILED, "store") == failed + 1
