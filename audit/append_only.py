"""The trail's tables that the database itself guards, and the triggers that guard them.

- Every django-simple-history table (each model's history) is append-only like the event
  store: UPDATE, DELETE and TRUNCATE are refused by triggers that fire in every replication
  role (PostgreSQL `ENABLE ALWAYS`), whoever runs them. They are (re)made after every
  `migrate` (a post_migrate receiver, idempotent), so a history table a later migration
  adds is guarded too; `tests/audit/test_append_only.py` checks every one.
- `audit_auditseal` accepts a row only if it extends the chain: its seq is the next one, its
  previous hash is the head's hash, and it names a stored event by id and event id.
- `audit_shipcursor` only moves forward, never past the chain's head, and is never deleted.

What the database cannot check (a seal's HMAC needs the key, which it never holds) the
sealer checks before it seals on (audit.chain). The owner role can still drop or disable
any trigger: docs/audit-store.md says what then catches it.
"""

from __future__ import annotations

from django.apps import apps

from audit.keys import GENESIS

SEALS, CURSORS = "audit_auditseal", "audit_shipcursor"

FUNCTIONS = ("audit_append_only", "audit_seal_extends", "audit_cursor_forward")
STORE = ("audit_auditevent", SEALS)


def _pg_functions(schema: str) -> str:
    """The trigger functions, each naming its tables by schema and running with a fixed search_path:
    a session's temporary table of the same name (pg_temp is searched first unless listed last)
    must never stand in for the real one (PostgreSQL docs, "Writing SECURITY DEFINER Functions
    Safely", applies to any function a trigger runs)."""
    path = f"SET search_path = pg_catalog, {schema}, pg_temp"
    # Run with an empty parameter list, so psycopg reads %% as a literal % (as migration 0002 does).
    return f"""
CREATE OR REPLACE FUNCTION {schema}.audit_append_only() RETURNS trigger LANGUAGE plpgsql {path} AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE FUNCTION {schema}.audit_seal_extends() RETURNS trigger LANGUAGE plpgsql {path} AS $$
DECLARE head_seq bigint; head_hash varchar(64);
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM {schema}.{SEALS} ORDER BY seq DESC LIMIT 1;
    IF head_seq IS NULL THEN head_seq := 0; head_hash := '{GENESIS}'; END IF;
    IF NEW.seq <> head_seq + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit seal %% refused: it does not extend the chain (head seq %%)', NEW.seq, head_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM {schema}.audit_auditevent WHERE id = NEW.event_pk AND event_id = NEW.event_id
    ) THEN
        RAISE EXCEPTION 'audit seal %% refused: no stored event %% with id %%', NEW.seq, NEW.event_id, NEW.event_pk
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION {schema}.audit_cursor_forward() RETURNS trigger LANGUAGE plpgsql {path} AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (NEW.sink <> OLD.sink OR NEW.seq < OLD.seq)) THEN
        RAISE EXCEPTION 'the ship cursor only moves forward: %% on %% refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.seq > COALESCE((SELECT MAX(seq) FROM {schema}.{SEALS}), 0) THEN
        RAISE EXCEPTION 'the ship cursor cannot pass the chain''s head (seq %% refused)', NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
"""  # noqa: S608 (table and schema names are the database's own)


def _sqlite_refuse(name: str, when: str, table: str, message: str) -> str:
    return f"CREATE TRIGGER IF NOT EXISTS {name} {when} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"


def _sqlite_guarded(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} {when} ON {table} WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _pg_trigger(name: str, when: str, table: str, function: str, each: str = "ROW") -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {name} {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {function}()",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}",
    ]


def history_tables() -> list[str]:
    """Every django-simple-history table (a history model has `instance_type`)."""
    return sorted(m._meta.db_table for m in apps.get_models() if hasattr(m, "instance_type") and m._meta.managed)


def append_only_sql(vendor: str, table: str) -> list[str]:
    """The triggers that refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE on `table`."""
    if vendor == "sqlite":
        return [
            _sqlite_refuse(
                f"{table}_no_{op.lower()}",
                f"BEFORE {op}",
                table,
                f"the audit trail is append-only: {op} on {table} refused",
            )
            for op in ("UPDATE", "DELETE")
        ]
    statements = []
    for op in ("UPDATE", "DELETE"):
        statements += _pg_trigger(f"{table}_no_{op.lower()}", f"BEFORE {op}", table, "audit_append_only")
    return statements + _pg_trigger(f"{table}_no_truncate", "BEFORE TRUNCATE", table, "audit_append_only", "STATEMENT")


def seal_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        head = f"(SELECT seq, hash FROM {SEALS} ORDER BY seq DESC LIMIT 1)"  # noqa: S608
        broken = (
            f"NEW.seq <> COALESCE((SELECT seq FROM {head}), 0) + 1 "  # noqa: S608
            f"OR NEW.prev_hash <> COALESCE((SELECT hash FROM {head}), '{GENESIS}') "
            "OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.event_pk AND event_id = NEW.event_id)"
        )
        return [
            _sqlite_guarded(
                f"{SEALS}_extends", "BEFORE INSERT", SEALS, broken, "audit seal refused: it does not extend the chain"
            )
        ]
    return _pg_trigger(f"{SEALS}_extends", "BEFORE INSERT", SEALS, "audit_seal_extends")


def cursor_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        past_head = f"NEW.seq > COALESCE((SELECT MAX(seq) FROM {SEALS}), 0)"  # noqa: S608
        message = "the ship cursor only moves forward, never past the chain head"
        return [
            _sqlite_guarded(f"{CURSORS}_forward_insert", "BEFORE INSERT", CURSORS, past_head, message),
            _sqlite_guarded(
                f"{CURSORS}_forward_update",
                "BEFORE UPDATE",
                CURSORS,
                f"NEW.seq < OLD.seq OR NEW.sink <> OLD.sink OR {past_head}",
                message,
            ),
            _sqlite_refuse(f"{CURSORS}_no_delete", "BEFORE DELETE", CURSORS, message),
        ]
    return _pg_trigger(f"{CURSORS}_forward", "BEFORE INSERT OR UPDATE OR DELETE", CURSORS, "audit_cursor_forward") + (
        _pg_trigger(f"{CURSORS}_no_truncate", "BEFORE TRUNCATE", CURSORS, "audit_append_only", "STATEMENT")
    )


def guard_sql(vendor: str, tables: list[str], schema: str = "public") -> list[str]:
    """Every statement that (re)makes the guards of the store, the seals, the cursor and these history
    tables; each is idempotent (an existing trigger is replaced and enabled ALWAYS again)."""
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"audit triggers for {vendor}")
    statements = [_pg_functions(schema)] if vendor == "postgresql" else []
    statements += seal_sql(vendor) + cursor_sql(vendor)
    for table in (*STORE, *tables):
        statements += append_only_sql(vendor, table)
    return statements
