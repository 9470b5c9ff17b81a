"""The scrape-time figures read indexes, never a whole table of events (PostgreSQL's plans)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def test_unsealed_count_and_seal_lag_use_the_primary_key():
    require_postgres()
    with connection.cursor() as cursor:
        cursor.execute(LOAD)
        cursor.execute("SELECT max(id) FROM audit_auditevent")
        head = cursor.fetchone()[0] - 25
        cursor.execute(  # every event up to `head` sealed, one seal row each, as the sealer leaves them
            "INSERT INTO audit_auditseal (seq, event_pk, event_id, prev_hash, hash, sealed_at)"
            " SELECT row_number() OVER (ORDER BY id), id, event_id, '', '', now()"
            " FROM audit_auditevent WHERE id <= %s",
            [head],
        )
        cursor.execute("ANALYZE audit_auditevent")
        cursor.execute("ANALYZE audit_auditseal")
    with CaptureQueriesContext(connection) as captured:
        unsealed, lag = _chain()
    assert unsealed == 25 and lag >= 0
    assert len(captured) == 3
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Seq Scan" not in plan, f"{query['sql']}\n{plan}"
