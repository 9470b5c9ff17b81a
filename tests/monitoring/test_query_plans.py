"""The scrape-time figures read indexes, never a whole table of events (PostgreSQL's plans)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.health import ship_lag, waiting_seconds
from audit.models import ShipCursor
from clinic.metrics import _chain
from tests.conftest import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LOAD = """
INSERT INTO audit_auditevent (event_id, timestamp, event, action, outcome, reason, source, actor_username,
    request_id, target_type, target_id, data, mac)
SELECT md5(n::text), now() - (50000 - n) * interval '1 second', 'patient.viewed', 'read', 'success', '', 'route',
    'u', '', 'patient', n::text, '{}', ''
FROM generate_series(1, 50000) n
"""


def _load_sealed_but_25() -> None:
    with connection.cursor() as cursor:
        cursor.execute(LOAD)
        cursor.execute("SELECT max(id) FROM audit_auditevent")
        head = cursor.fetchone()[0] - 25
        # Seals made here, not by the sealer: the trigger that checks each extends the chain is off
        # for this transaction (ALTER TABLE is transactional on PostgreSQL: the test's rollback restores it).
        cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER USER")
        cursor.execute(  # every event up to `head` sealed, one seal row each, as the sealer leaves them
            "INSERT INTO audit_auditseal (seq, event_pk, event_id, prev_hash, hash, sealed_at)"
            " SELECT row_number() OVER (ORDER BY id), id, event_id, '', '', now()"
            " FROM audit_auditevent WHERE id <= %s",
            [head],
        )
        cursor.execute("ANALYZE audit_auditevent")
        cursor.execute("ANALYZE audit_auditseal")


def _no_seq_scan(captured: CaptureQueriesContext) -> None:
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan, f"{query['sql']}\n{plan}"


def test_unsealed_count_and_seal_lag_use_the_primary_key():
    require_postgres()
    _load_sealed_but_25()
    with CaptureQueriesContext(connection) as captured:
        unsealed, lag = _chain()
    assert unsealed == 25 and lag >= 0
    assert len(captured) == 3
    _no_seq_scan(captured)


def test_the_audit_checks_figures_use_the_primary_keys():
    require_postgres()
    _load_sealed_but_25()
    ShipCursor.objects.create(sink="logbull", seq=1000)
    with CaptureQueriesContext(connection) as captured:
        waited = waiting_seconds()
        events, seconds = ship_lag()
    assert waited > 0 and events == 50_000 - 25 - 1000 and seconds >= 0
    assert len(captured) == 5
    _no_seq_scan(captured)
