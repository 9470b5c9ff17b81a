"""Transactional tests empty every table between tests (Django's flush); the triggers that guard the
trail refuse that, as they refuse any DELETE or TRUNCATE. Only here, the owner of the test database
lifts them for the flush and puts them back at once (audit.guards.guard), as an owner could."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.backends.base.operations import BaseDatabaseOperations

from audit.guards import guard, guarded_triggers

STORE = {"audit_auditevent", "audit_auditseal"}  # unmanaged: never flushed, keep their triggers


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_guards() -> Iterator[None]:
    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: list[str]) -> Any:
        connection = self.connection
        lifted = sorted((t, n) for t, n in guarded_triggers(connection) if t not in STORE)
        with connection.cursor() as cursor:
            for table, name in lifted:
                if connection.vendor == "sqlite":
                    cursor.execute(f"DROP TRIGGER {name}")
                else:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        try:
            return original(self, sql_list)
        finally:
            guard(connection)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]
