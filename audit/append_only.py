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

import re
from typing import Any

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

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


def _planned(connection: BaseDatabaseWrapper) -> tuple[str, dict[str, list[str]], str]:
    """(the functions' SQL, each trigger's statements by its name, the schema) for the tables that exist."""
    existing = set(connection.introspection.table_names())
    tables = [table for table in history_tables() if table in existing]
    schema = "public"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
    statements = guard_sql(connection.vendor, tables, schema)
    functions = statements.pop(0) if connection.vendor == "postgresql" else ""
    triggers: dict[str, list[str]] = {}
    for statement in statements:  # a CREATE TRIGGER, then (PostgreSQL) its ENABLE ALWAYS
        made = re.match(r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+)", statement)
        name = made.group(1) if made else statement.rsplit(" ", 1)[-1]
        triggers.setdefault(name, []).append(statement)
    return functions, triggers, schema


def _unsafe_functions(connection: BaseDatabaseWrapper, schema: str) -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = ANY(%s) AND array_to_string(p.proconfig, ',') LIKE %s",
            [schema, list(FUNCTIONS), "%search_path=pg_catalog%"],
        )
        safe = {name for (name,) in cursor.fetchall()}
    return [name for name in FUNCTIONS if name not in safe]


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Each guard that is not there or does not fire (dropped, disabled, or a function made without its
    fixed search_path), in words: what audit_verify and the health check report."""
    _, triggers, schema = _planned(connection)
    firing = {name for _, name in guarded_triggers(connection)}
    problems = [f"trigger {name} is missing or disabled" for name in triggers if name not in firing]
    unsafe = _unsafe_functions(connection, schema)
    return problems + [f"function {name} is missing or has no fixed search_path" for name in unsafe]


def guard(connection: BaseDatabaseWrapper) -> None:
    """Make each guard that is missing, and only those (none missing: nothing runs, so the app role may
    run `migrate` once the owner has). A model whose table is made later is guarded by that migrate."""
    functions, triggers, schema = _planned(connection)
    firing = {name for _, name in guarded_triggers(connection)}
    with connection.cursor() as cursor:
        if functions and _unsafe_functions(connection, schema):
            cursor.execute(functions, ())
        for name, statements in triggers.items():
            if name not in firing:
                for statement in statements:
                    cursor.execute(statement, ())


def guarded_triggers(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """(table, trigger) pairs that exist and fire: what tests and the system check compare against."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled = 'A'"
            )
        return {(table, name) for table, name in cursor.fetchall()}


def after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: guard every history table, the seals and the cursor (idempotent)."""
    from django.db import connections

    if sender.name == "audit":
        guard(connections[using])
