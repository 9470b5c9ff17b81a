"""Background passes that one process at a time may run: sealing, shipping, reconciling.

Each pass runs in a transaction and first takes its turn: on PostgreSQL a transaction-level
advisory lock (`pg_try_advisory_xact_lock`, released at commit or rollback; a process that
does not get it skips this pass); on SQLite the transaction holds the database's one write
lock already, so a pass always has its turn.
"""

from __future__ import annotations

from django.db import connection

SEALING = 0x4D454443  # "MEDC"
RECONCILING = 0x4D454452  # "MEDR"
SHIPPING = 0x4D454453  # "MEDS"


def my_turn(lock_id: int) -> bool:
    """Inside a transaction: True when this process may run the pass `lock_id` now."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
        return bool(cursor.fetchone()[0])
