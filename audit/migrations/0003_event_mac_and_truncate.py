"""Each event carries its MAC; the store refuses TRUNCATE; its triggers fire in every replication role.

- `mac` (audit.keys.event_mac): rows stored before this migration have none; the chain
  already seals them, and audit_verify reports them as sealed before event MACs.
- PostgreSQL: TRUNCATE skips row triggers, so a statement trigger refuses it; and
  `SET session_replication_role = replica` silences ordinary triggers, so every
  append-only trigger is made `ENABLE ALWAYS`. SQLite has no TRUNCATE (a DELETE without
  WHERE meets the DELETE trigger) and no replication role.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

TABLES = ("audit_auditevent", "audit_auditseal")


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    schema_editor.execute("ALTER TABLE audit_auditevent ADD COLUMN mac varchar(64) NOT NULL DEFAULT ''")
    if vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        for operation in ("update", "delete", "truncate"):
            schema_editor.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_{operation}")


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            for operation in ("update", "delete"):
                schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_{operation}")
    schema_editor.execute("ALTER TABLE audit_auditevent DROP COLUMN mac")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AddField(
                    model_name="auditevent",
                    name="mac",
                    field=models.CharField(
                        blank=True, default="", help_text="HMAC of `data` (audit.keys)", max_length=64
                    ),
                ),
            ],
        ),
    ]
