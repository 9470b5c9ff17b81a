"""How long a request may keep the database busy, and how a wait that ran out is told apart.

- PostgreSQL: every connection starts with `lock_timeout`, `statement_timeout` and
  `idle_in_transaction_session_timeout`, given in libpq's `options` (sent with the connection's
  startup packet: no extra round trip; https://www.postgresql.org/docs/current/libpq-connect.html
  #LIBPQ-CONNECT-OPTIONS, https://www.postgresql.org/docs/current/runtime-config-client.html).
  SQLite: its busy timeout is the lock timeout (clinic/settings.py).
- A statement that waited too long fails (PostgreSQL's SQLSTATE 55P03 lock_not_available or
  57014 query_canceled, SQLite's SQLITE_BUSY); Django raises OperationalError and the
  transaction it ran in rolls back. `busy()` tells that apart from an unreachable database, so
  the answer is 503 `database_busy`, not `database_unavailable` (clinic/errors.py).
- The budget: a request may start statements for DB_REQUEST_SECONDS from when a worker took it.
  A later statement is refused before it reaches the database (`OverBudget`, an
  OperationalError: the request's transaction rolls back alike), so a request of many
  statements cannot outlive its client. It is an execute wrapper (Django's database
  instrumentation, https://docs.djangoproject.com/en/5.2/topics/db/instrumentation/) costing a
  thread-local read and a clock read per statement, no round trip: about 0.2 µs (timeit, one
  million calls), against some 80 µs for `SELECT 1` to PostgreSQL on loopback.

A request's time in the database is thus at most the budget plus one statement timeout
(docs/deployment.md, "Timeouts").
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import OperationalError
from django.db.backends.signals import connection_created

# https://www.postgresql.org/docs/current/errcodes-appendix.html: a lock not granted in time, a
# statement cancelled (statement_timeout), a deadlock broken by cancelling one of its waiters.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01"})
# Statements that finish what began within the budget: a savepoint's release or rollback.
_ENDINGS = ("RELEASE", "ROLLBACK")

_request = threading.local()


class OverBudget(OperationalError):
    """A request past DB_REQUEST_SECONDS tried to start another statement."""


def busy(exc: BaseException) -> bool:
    """Whether a database error is a wait that ran out (a lock, a statement, the request's budget)."""
    if isinstance(exc, OverBudget):
        return True
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return str(getattr(cause, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def libpq_options(*, lock: float, statement: float, idle: float) -> str:
    """libpq's `options`: the three timeouts in milliseconds (0: no limit)."""
    timeouts = {"lock_timeout": lock, "statement_timeout": statement, "idle_in_transaction_session_timeout": idle}
    return " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in timeouts.items())


def refuse_late(execute: Any, sql: Any, params: Any, many: bool, context: Any) -> Any:
    """The execute wrapper: past the request's deadline no statement starts (one may only end)."""
    deadline = getattr(_request, "deadline", None)
    if deadline is not None and time.monotonic() > deadline and not str(sql).lstrip().upper().startswith(_ENDINGS):
        raise OverBudget(f"the request used its {settings.DB_REQUEST_SECONDS} s for the database")
    return execute(sql, params, many, context)


def _started(sender: Any, **kwargs: Any) -> None:
    budget = getattr(settings, "DB_REQUEST_SECONDS", 0)
    _request.deadline = time.monotonic() + budget if budget else None


def _finished(sender: Any, **kwargs: Any) -> None:
    _request.deadline = None


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    # First in the list: `execute_wrapper()` blocks pop the last one, so a block open while the
    # connection is (re)made still removes its own wrapper, never this one.
    if refuse_late not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, refuse_late)


def install() -> None:
    """Time each request from when a worker takes it, and check every connection's statements (CoreConfig.ready)."""
    request_started.connect(_started, dispatch_uid="core.db_limits.started")
    request_finished.connect(_finished, dispatch_uid="core.db_limits.finished")
    connection_created.connect(_on_connection, dispatch_uid="core.db_limits.wrapper")
