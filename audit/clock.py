"""This server's clock against the database's: measured, alarmed on, and corrected in event times.

Several app servers write one trail, and LogBull refuses an event stamped in its future, so a
server whose clock runs fast or slow writes a trail out of order or loses events. Each process
measures the database's clock against its own when it first connects (`connection_created`)
and its background pass (audit.sealer) again at start and every AUDIT_CLOCK_CHECK_INTERVAL
seconds. Beyond AUDIT_CLOCK_TOLERANCE seconds, `now()` is the local time plus the measured
offset (the database's time), every event carries `clock_offset`, and the background pass
logs `audit.clock_skew` (failure) once; once the clocks agree again, `audit.clock_skew`
(success) and local time as before.

PostgreSQL: `clock_timestamp()`, the server's current time even inside a transaction
(PostgreSQL docs, "Current Date/Time"), against the midpoint of the local times read before
and after the query; the best of a few samples (the shortest round trip) is kept, as NTP does.
SQLite is a file read by this machine, whose clock is the database's: the offset is 0.

The state is one immutable object replaced whole under a lock; request threads read it
without one (reading a module attribute is atomic in CPython).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created
from django.utils import timezone

_logger = logging.getLogger(__name__)
SAMPLES = 3
_SQL = "SELECT extract(epoch FROM clock_timestamp())"


def _server_time() -> float:
    """This server's clock, read through Django's `timezone.now()` so that whatever sets Django's
    time (the demo's clock, a test) sets the trail's too."""
    return timezone.now().timestamp()


local_time: Callable[[], float] = _server_time  # tests move it


@dataclass(frozen=True)
class Reading:
    """One measurement: the database's time minus this server's, in seconds."""

    offset: float
    round_trip: float
    vendor: str


@dataclass(frozen=True)
class State:
    """What `now()` adds to the local clock: the measured offset while skewed, else nothing."""

    offset: float = 0.0
    skewed: bool = False
    measured: Reading | None = None


_state = State()
_lock = threading.Lock()
_announced = False  # the skew last logged as `audit.clock_skew` (by the background pass only)
_measured_in: int | None = None  # the process that measured at its first connection


def state() -> State:
    return _state


def stamp() -> tuple[datetime, float | None]:
    """The time to stamp an event with, and the offset added to the local clock (None: none)."""
    current = _state
    moment = datetime.fromtimestamp(local_time() + current.offset, UTC)
    return moment, (round(current.offset, 3) if current.skewed else None)


def now() -> datetime:
    """The trail's time: this server's, or the database's while this server's is beyond the tolerance."""
    return stamp()[0]


def measure(connection: Any = None) -> Reading:
    """The database's clock minus this server's (seconds), by the sample with the shortest round trip."""
    connection = connection if connection is not None else connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return Reading(0.0, 0.0, connection.vendor)  # SQLite: this machine's file, this machine's clock
    best: Reading | None = None
    with connection.cursor() as cursor:
        for _ in range(SAMPLES):
            before = local_time()
            cursor.execute(_SQL)
            (theirs,) = cursor.fetchone()
            after = local_time()
            if best is None or after - before < best.round_trip:
                best = Reading(float(theirs) - (before + after) / 2, after - before, connection.vendor)
    assert best is not None
    return best


def _adopt(reading: Reading) -> State:
    global _state
    skewed = abs(reading.offset) > settings.AUDIT_CLOCK_TOLERANCE
    with _lock:
        _state = State(reading.offset if skewed else 0.0, skewed, reading)
        return _state


def check(connection: Any = None) -> State:
    """Measure, correct `now()` beyond the tolerance, and log `audit.clock_skew` when that changed.

    Called by the background pass (one thread per process), which alone logs the alarm.
    """
    global _announced
    current = _adopt(measure(connection))
    if current.skewed != _announced:
        _announce(current)
        _announced = current.skewed
    return current


def _announce(current: State) -> None:
    from audit import event_types as E
    from audit.events import emit

    assert current.measured is not None
    offset, tolerance = round(current.measured.offset, 3), settings.AUDIT_CLOCK_TOLERANCE
    if current.skewed:
        outcome, reason, level = "failure", "clock_skew", logging.ERROR
        message = f"ALARM: this server's clock {_off(offset)}; its events carry the database's time"
    else:
        outcome, reason, level = "success", None, logging.INFO
        message = f"this server's clock agrees with the database's again (it {_off(offset)})"
    details = {
        "offset_seconds": offset,
        "tolerance_seconds": tolerance,
        "round_trip_seconds": round(current.measured.round_trip, 6),
        "host": socket.gethostname(),
    }
    emit(
        E.AUDIT_CLOCK_SKEW,
        outcome=outcome,
        reason=reason,
        source="command",
        actor=None,
        level=level,
        details=details,
        message=message,
    )


def _off(offset: float) -> str:
    """`runs 3600.000 s ahead of the database's` for an offset of -3600 (the database's minus ours)."""
    return f"runs {abs(offset):.3f} s {'ahead of' if offset < 0 else 'behind'} the database's"


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A process measures at its first connection, so its first event is already stamped right."""
    global _measured_in
    if _measured_in == os.getpid() or settings.AUDIT_CLOCK_CHECK_INTERVAL <= 0:
        return
    _measured_in = os.getpid()
    try:
        current = _adopt(measure(connection))
    except Exception:  # never in the way of a connection: the background pass measures again
        _logger.warning("could not compare this server's clock with the database's", exc_info=True)
        return
    if current.skewed:
        _logger.warning("this server's clock %s: events carry the database's time", _off(current.offset))


def install() -> None:
    connection_created.connect(_on_connection, dispatch_uid="audit.clock")
