"""The fourth sink: every event as a row of `audit.AuditEvent`, in the transaction it happens in.

Rows carry the same scrubbed event the other sinks receive, as canonical JSON (sorted
keys, no spaces, ASCII), so the seal hashes exactly what is stored, and the event's MAC
(audit.keys.event_mac) made with a key the database never holds. Every other column is
derived from that JSON (`columns`), so audit_verify can say which column was edited.
`audit.sealed` checkpoints, their signed copies (`audit.witnessed`) and the chain's alarms are
not stored: they describe the store and leave the database at once, on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.dateparse import parse_datetime

from audit import event_types as E
from audit.keys import event_mac

# Checkpoints and alarms describe the store: they leave the database at once, for the file and
# LogBull, and never wait on a chain that an alarm may have stopped.
NOT_STORED = frozenset(
    {E.AUDIT_SEALED.name, E.AUDIT_FORGERY_DETECTED.name, E.AUDIT_CHAIN_REWRITTEN.name, E.AUDIT_WITNESSED.name}
)


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def columns(record: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of an event."""
    actor = record.get("actor") or {}
    request = record.get("request") or {}
    target = record.get("target") or {}
    return {
        "event_id": record["event_id"],
        "timestamp": datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")),
        "event": record["event"][:100],
        "action": record["action"],
        "outcome": record["outcome"],
        "reason": str(record.get("reason") or "")[:64],
        "source": record["source"],
        "actor_id": actor.get("id"),
        "actor_username": str(actor.get("username") or "")[:150],
        "request_id": str(request.get("id") or "")[:64],
        "target_type": str(target.get("type") or "")[:40],
        "target_id": "" if target.get("id") is None else str(target["id"])[:64],
        "patient_id": _id(record.get("patient_id")),
        "visit_id": _id(record.get("visit_id")),
        "camp_id": _id(record.get("camp_id")),
    }


def disagreements(row: Mapping[str, Any], data: str) -> list[tuple[str, Any, Any]]:
    """(column, its value, what the sealed JSON says) for each column of `row` that `data` contradicts.

    Raises ValueError when `data` is not an audit event's JSON.
    """
    try:
        sealed = columns(json.loads(data))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError("not an audit event") from exc
    found = []
    for name in DERIVED:
        stored, expected = row[name], sealed[name]
        if name == "timestamp":
            stored = _moment(stored)
        if stored != expected and not (stored in ("", None) and expected in ("", None)):
            found.append((name, stored, expected))
    return found


def _moment(value: Any) -> Any:
    """A timestamp as a database hands it to a raw cursor (SQLite: text), as an aware datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


COLUMNS = (
    "event_id",
    "timestamp",
    "event",
    "action",
    "outcome",
    "reason",
    "source",
    "actor_id",
    "actor_username",
    "request_id",
    "target_type",
    "target_id",
    "patient_id",
    "visit_id",
    "camp_id",
    "data",
    "mac",
)
# What an auditor reads of a row, each derived from its sealed JSON: all but the JSON and its MAC.
DERIVED = COLUMNS[: COLUMNS.index("data")]
# One plain INSERT (no model instance, no RETURNING): it runs inside every audited write.
_INSERT = f"INSERT INTO audit_auditevent ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608 (column names are constants)


def _stored(record: dict[str, Any]) -> bool:
    return bool(settings.AUDIT_STORE) and record["event"] not in NOT_STORED


def _values(record: dict[str, Any]) -> list[Any]:
    data = canonical(record)
    values = {**columns(record), "data": data, "mac": event_mac(data)}
    return [values[name] for name in COLUMNS]


def insert(record: dict[str, Any]) -> bool:
    """Store the event in the current transaction; False when the store does not keep it."""
    if not _stored(record):
        return False
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, _values(record))
    return True


def insert_with_history(row: Any, record: dict[str, Any], using: str | None) -> bool:
    """Insert a history row and its event's store row in one statement, where the database allows.

    PostgreSQL runs a data-modifying WITH exactly once whatever the main statement reads
    (PostgreSQL manual, "Data-Modifying Statements in WITH"), so the event rides on the
    history row's INSERT and costs no round trip of its own. Returns False, having written
    nothing, where that is not possible (SQLite, or the store off): the caller saves the
    history row and stores the event as two statements of the same transaction.
    """
    from django.db import connections, router
    from django.db.models.sql import InsertQuery

    db = connections[using or router.db_for_write(type(row))]
    if db.vendor != "postgresql" or not _stored(record):
        return False
    meta = row._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not getattr(f, "generated", False)]
    query = InsertQuery(type(row))
    query.insert_values(fields, [row])
    ((history_sql, history_params),) = query.get_compiler(connection=db).as_sql()
    returning = db.ops.quote_name(meta.pk.column)
    with db.cursor() as cursor:
        cursor.execute(
            f"WITH stored_event AS ({_INSERT}) {history_sql} RETURNING {returning}",
            [*_values(record), *history_params],
        )
        row.pk = cursor.fetchone()[0]
    row._state.adding, row._state.db = False, db.alias
    return True
