"""The event store refuses UPDATE and DELETE in the database itself, superusers included.

Triggers on both tables raise on any UPDATE or DELETE, whoever runs it (the ORM, a raw
SQL shell, a bug). An attacker who drops them is caught by the hash chain instead
(manage.py audit_verify). The models become unmanaged so that Django never deletes
their rows either (a test flush, `manage.py flush`).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditseal")

# Run with an empty parameter list, so psycopg reads %% as a literal %.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            name = f"{table}_no_{operation.lower()}"
            if vendor == "postgresql":
                schema_editor.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
                )
            elif vendor == "sqlite":
                schema_editor.execute(
                    f"CREATE TRIGGER {name} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: {operation} on {table} refused'); END"
                )
            else:
                raise NotImplementedError(f"append-only triggers for {vendor}")


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        for operation in ("update", "delete"):
            suffix = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}{suffix}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_event_store")]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"managed": False, "ordering": ["-id"], "verbose_name": "audit event"},
        ),
        migrations.AlterModelOptions(name="auditseal", options={"managed": False, "ordering": ["seq"]}),
    ]
