"""One event, one row: an event id is stored once in the store and sealed once in the chain.

A row copied or replayed into `audit_auditevent` (same `data`, same MAC, a new id) is refused
by the database. A store that already holds such copies cannot take the index: the migration
stops and names them (docs/audit-store.md says how an owner deals with them). The triggers
that guard the seals, the ship cursor and every history table are made after each migrate
(audit.append_only).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

INDEXES = (
    ("audit_event_id_unique", "audit_auditevent"),
    ("audit_seal_event_id_unique", "audit_auditseal"),
)


def forwards(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        for _, table in INDEXES:
            cursor.execute(f"SELECT event_id FROM {table} GROUP BY event_id HAVING COUNT(*) > 1 LIMIT 10")  # noqa: S608
            repeated = [row[0] for row in cursor.fetchall()]
            if repeated:
                raise RuntimeError(
                    f"{table} holds event ids more than once (replayed rows): {', '.join(repeated)}; "
                    "see docs/audit-store.md, 'One event, one row'"
                )
    for name, table in INDEXES:
        schema_editor.execute(f"CREATE UNIQUE INDEX {name} ON {table} (event_id)")


def backwards(apps: Any, schema_editor: Any) -> None:
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_translated_labels")]

    operations = [migrations.RunPython(forwards, backwards)]
