"""A server whose clock is off the database's alarms once and stamps the trail with the database's time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest
from django.db import connection

from audit import clock, events, sealer
from audit import event_types as E
from clinic.metrics import clock_figures
from patients.models import Patient
from tests.audit.logbull_kit import wait_until
from tests.conftest import require_postgres
from tests.factories import PatientFactory

AHEAD = 3600.0  # the second server: an hour fast
SLACK = 0.5  # the measurement's error is half a loopback round trip; an hour is what is caught


@pytest.fixture
def fresh_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's clock state as at start; the session's is put back after the test."""
    monkeypatch.setattr(clock, "_state", clock.State())
    monkeypatch.setattr(clock, "_announced", False)
    yield


def fast(monkeypatch: pytest.MonkeyPatch, seconds: float = AHEAD) -> None:
    monkeypatch.setattr(clock, "local_time", lambda: time.time() + seconds)


def database_seconds() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extract(epoch FROM clock_timestamp())")
        return float(cursor.fetchone()[0])


def seconds_of(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def viewed() -> dict:
    return events.build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": 1}, scope={"patient_id": 1})


def test_sqlite_is_this_machines_clock(db, audit, fresh_clock, monkeypatch):
    """SQLite is a file this machine reads: its clock is this machine's, the offset 0 by definition.
    (PostgreSQL on this same machine: measured, and within the tolerance.)"""
    if connection.vendor != "sqlite":
        reading = clock.measure()
        assert reading.vendor == "postgresql" and abs(reading.offset) < 1.0 and not clock.check().skewed
        return
    fast(monkeypatch)
    reading = clock.measure()
    assert reading.offset == 0.0 and reading.vendor == "sqlite"
    assert not clock.check().skewed
    record = viewed()
    assert "clock_offset" not in record and audit.named("audit.clock_skew") == []
    assert abs(seconds_of(record["timestamp"]) - (time.time() + AHEAD)) < 60  # this machine's time, as before


@pytest.mark.postgres
def test_a_fast_clock_alarms_once_and_the_trail_takes_the_databases_time(db, audit, fresh_clock, monkeypatch):
    require_postgres()
    fast(monkeypatch)
    before = viewed()  # not yet measured: an hour ahead, as the server wrote them
    assert seconds_of(before["timestamp"]) > database_seconds() + AHEAD - 60

    assert clock.check().skewed
    clock.check()
    alarm = audit.one("audit.clock_skew")  # once per change, not once per check
    assert alarm["outcome"] == "failure" and alarm["level"] == "ERROR"
    assert -AHEAD - SLACK < alarm["details"]["offset_seconds"] < -AHEAD + SLACK
    assert alarm["details"]["tolerance_seconds"] == 2.0 and "clock_offset" in alarm

    low = database_seconds()
    record = viewed()
    high = database_seconds()
    assert low - SLACK <= seconds_of(record["timestamp"]) <= high + SLACK
    assert -AHEAD - SLACK < record["clock_offset"] < -AHEAD + SLACK
    assert _gauges()["medcamp_clock_skewed"] == 1

    monkeypatch.setattr(clock, "local_time", time.time)  # the clock is set right
    assert not clock.check().skewed
    back = audit.named("audit.clock_skew")[-1]
    assert back["outcome"] == "success" and len(audit.named("audit.clock_skew")) == 2
    assert "clock_offset" not in viewed() and _gauges()["medcamp_clock_skewed"] == 0


@pytest.mark.postgres
def test_history_rows_and_seals_take_the_databases_time_too(db, fresh_clock, monkeypatch):
    require_postgres()
    fast(monkeypatch)
    clock.check()
    low = database_seconds()
    patient = PatientFactory(name="Asha")
    high = database_seconds()
    row = Patient.history.get(id=patient.pk)
    assert low - SLACK <= row.history_date.timestamp() <= high + SLACK


@pytest.mark.postgres
def test_events_built_while_fast_reach_logbull(db, fresh_clock, monkeypatch, sink, fake):
    """The loopback LogBull refuses a timestamp in its future (FUTURE_TIMESTAMP), as LogBull does."""
    require_postgres()
    fast(monkeypatch)
    logger, handler = sink
    unmeasured = viewed()  # as the server sent them: refused
    logger.info(unmeasured["message"], extra={"audit": unmeasured})
    handler.flush()
    assert wait_until(lambda: handler.counters.snapshot()["rejected"] == 1)

    clock.check()
    records = [viewed() for _ in range(3)]
    for record in records:
        logger.info(record["message"], extra={"audit": record})
    handler.flush()
    ids = [record["event_id"] for record in records]
    assert wait_until(lambda: set(ids) <= set(fake.event_ids()))
    assert unmeasured["event_id"] not in fake.event_ids() and handler.counters.snapshot()["rejected"] == 1


@pytest.mark.postgres
def test_a_process_measures_at_its_first_connection_and_the_pass_alarms_at_start(
    db, audit, fresh_clock, monkeypatch, settings
):
    """A management command's events are stamped right from its first; the serving pass alarms at its start."""
    require_postgres()
    fast(monkeypatch)
    monkeypatch.setattr(clock, "_measured_in", None)
    clock._on_connection(None, connection)
    assert clock.state().skewed and audit.named("audit.clock_skew") == []  # corrected, quietly
    record = viewed()
    assert abs(seconds_of(record["timestamp"]) - database_seconds()) < 60

    settings.AUDIT_CLOCK_CHECK_INTERVAL = 0
    assert sealer._check_clock(0.0) == 0.0 and audit.named("audit.clock_skew") == []
    settings.AUDIT_CLOCK_CHECK_INTERVAL = 60
    assert sealer._check_clock(0.0) > time.monotonic() + 30  # the next check, a minute on
    assert audit.one("audit.clock_skew")["outcome"] == "failure"


def test_within_the_tolerance_the_trail_keeps_local_time(db, audit, fresh_clock, monkeypatch, settings):
    settings.AUDIT_CLOCK_TOLERANCE = 10_000
    fast(monkeypatch)
    current = clock.check()
    assert not current.skewed and current.offset == 0.0 and audit.named("audit.clock_skew") == []
    assert "clock_offset" not in viewed()
    assert _gauges()["medcamp_clock_skewed"] == 0


def _gauges() -> dict[str, float]:
    return {family.name: family.samples[0].value for family in clock_figures()}
