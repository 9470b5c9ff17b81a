"""Whether the trail's guards (audit.append_only) are in place exactly as planned, and making them so.

`missing()` compares what the database holds with what audit.append_only would make, and says in
words what differs: what `audit_verify` and the health check report. On PostgreSQL each trigger
must sit on its table, fire ALWAYS, on its events, unconditionally, calling its function; each
function must have the planned body and its fixed search_path; no other trigger or rule may sit
on a guarded table (one that drops an insert would silence the trail); the event id indexes must
be unique. An owner who neuters a function, re-creates a trigger with `WHEN (false)` or adds a
trigger that returns NULL is named. `guard()` (after every migrate) re-makes what differs, and
only that, so the app role may run `migrate` when nothing does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from audit.append_only import CURSORS, FUNCTIONS, STORE, guard_sql, history_tables

UNIQUE_INDEXES = (("audit_event_id_unique", "audit_auditevent"), ("audit_seal_event_id_unique", "audit_auditseal"))
# pg_trigger.tgtype bits (PostgreSQL's include/catalog/pg_trigger.h)
_ROW, _BEFORE, _EVENTS = 1, 2, {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}
_TRIGGER = re.compile(
    r"CREATE (?:OR REPLACE )?TRIGGER (?:IF NOT EXISTS )?(\w+) BEFORE ([A-Z ]+?) ON (\w+)"
    r"(?: WHEN .*?)?(?: FOR EACH (ROW|STATEMENT) EXECUTE FUNCTION (\w+)\(\))?",
)


@dataclass
class Planned:
    name: str
    table: str
    function: str  # "" on SQLite
    tgtype: int
    statements: list[str]


@dataclass
class Plan:
    functions: str  # the functions' SQL ("" on SQLite)
    bodies: dict[str, str]  # each function's planned body
    triggers: dict[str, Planned]
    tables: list[str]  # every guarded table that exists


def plan(connection: BaseDatabaseWrapper) -> Plan:
    existing = set(connection.introspection.table_names())
    history = [table for table in history_tables() if table in existing]
    schema = "public"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
    statements = guard_sql(connection.vendor, history, schema)
    functions = statements.pop(0) if connection.vendor == "postgresql" else ""
    bodies = dict(re.findall(r"FUNCTION \w+\.(\w+)\(\).*?AS \$\$(.*?)\$\$", functions, re.S))
    bodies = {name: body.replace("%%", "%") for name, body in bodies.items()}  # as psycopg sends them
    triggers: dict[str, Planned] = {}
    for statement in statements:  # a CREATE TRIGGER, then (PostgreSQL) its ENABLE ALWAYS
        made = _TRIGGER.match(statement)
        if made is None:
            triggers[statement.rsplit(" ", 1)[-1]].statements.append(statement)
            continue
        name, events, table, each, function = made.groups()
        tgtype = _BEFORE | (_ROW if each != "STATEMENT" else 0)
        for event in events.split(" OR "):
            tgtype |= _EVENTS[event]
        triggers[name] = Planned(name, table, function or "", tgtype, [statement])
    return Plan(functions, bodies, triggers, [*STORE, CURSORS, *history])


def _pg_state(connection: BaseDatabaseWrapper, tables: list[str]) -> tuple[dict, dict, list[str], dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgenabled, t.tgqual IS NULL, p.proname, t.tgtype "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND c.relname = ANY(%s)",
            [tables],
        )
        triggers = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT p.proname, p.prosrc, array_to_string(p.proconfig, ',') FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND p.proname = ANY(%s)",
            [list(FUNCTIONS)],
        )
        functions = {name: (source, config or "") for name, source, config in cursor.fetchall()}
        cursor.execute("SELECT tablename, rulename FROM pg_rules WHERE tablename = ANY(%s)", [tables])
        rules = [f"rule {rule} on {table} rewrites what reaches it" for table, rule in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = ANY(%s)",
            [[name for name, _ in UNIQUE_INDEXES]],
        )
        unique = dict(cursor.fetchall())
    return triggers, functions, rules, unique


def _sqlite_state(connection: BaseDatabaseWrapper) -> tuple[dict, dict, list[str], dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        triggers = {(table, name): ("A", True, "", 0) for table, name in cursor.fetchall()}
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        unique = {name: "UNIQUE" in (sql or "").upper() for name, sql in cursor.fetchall()}
    return triggers, {}, [], unique


def _differs(planned: Planned, found: tuple | None, postgres: bool) -> str:
    if found is None:
        return f"trigger {planned.name} is missing on {planned.table}"
    enabled, unconditional, function, tgtype = found
    if not postgres:
        return ""
    if enabled != "A":
        return f"trigger {planned.name} is disabled (or not ALWAYS)"
    if not unconditional or function != planned.function or tgtype != planned.tgtype:
        return f"trigger {planned.name} on {planned.table} is not as planned (a condition, its events or its function)"
    return ""


def missing(connection: BaseDatabaseWrapper) -> list[str]:
    """Each way the guards differ from the plan, in words (empty: all in place)."""
    found_plan = plan(connection)
    postgres = connection.vendor == "postgresql"
    triggers, functions, rules, unique = (
        _pg_state(connection, found_plan.tables) if postgres else _sqlite_state(connection)
    )
    problems = [
        why
        for planned in found_plan.triggers.values()
        if (why := _differs(planned, triggers.get((planned.table, planned.name)), postgres))
    ]
    problems += [
        f"trigger {name} on {table} is not one of the trail's (it may drop or change what is written)"
        for table, name in sorted(triggers)
        if name not in found_plan.triggers and table in found_plan.tables
    ]
    for name, body in found_plan.bodies.items():
        source, config = functions.get(name, (None, ""))
        if source != body or "search_path=pg_catalog" not in config:
            problems.append(f"function {name} is missing, has another body, or has no fixed search_path")
    problems += rules
    problems += [
        f"index {name} on {table} is missing or not unique" for name, table in UNIQUE_INDEXES if not unique.get(name)
    ]
    return problems


def guard(connection: BaseDatabaseWrapper) -> None:
    """Make what differs from the plan, and only that (nothing differs: nothing runs)."""
    found_plan = plan(connection)
    postgres = connection.vendor == "postgresql"
    triggers, functions, _, _ = _pg_state(connection, found_plan.tables) if postgres else _sqlite_state(connection)
    stale = [
        name
        for name, body in found_plan.bodies.items()
        if functions.get(name, (None, ""))[0] != body or "search_path=pg_catalog" not in functions[name][1]
    ]
    todo = [p for p in found_plan.triggers.values() if _differs(p, triggers.get((p.table, p.name)), postgres)]
    if not stale and not todo:
        return
    try:
        with connection.cursor() as cursor:
            if stale:
                cursor.execute(found_plan.functions, ())
            for planned in todo:
                for statement in planned.statements:
                    cursor.execute(statement, ())
    except DatabaseError as exc:
        raise DatabaseError(
            f"the audit trail's guards need making ({len(stale)} functions, {len(todo)} triggers) and this "
            f"database role may not: run `manage.py migrate` as the owner role ({exc})"
        ) from exc


def guarded_triggers(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """(table, trigger) pairs that exist and fire (on PostgreSQL enabled ALWAYS)."""
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
    """post_migrate: guard every history table, the store, the seals and the cursor (what differs only)."""
    from django.db import connections

    if sender.name == "audit":
        guard(connections[using])
