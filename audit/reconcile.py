"""Changes made outside the audited path, found and written down (manage.py audit_reconcile, and a periodic pass).

A change through the services writes the record and its history row in one transaction,
so a record always equals its latest history row. One made another way (a queryset's
`update()`, a data migration, raw SQL in psql) does not; this pass finds it with two
set-based queries per audited table (no Python loop over rows):
- each record whose latest history row (highest history_id) is missing, is a deletion, or
  differs in an audited field (null-safe comparison in SQL);
- each latest history row that is not a deletion but whose record is gone.
Then, since an owner can edit a record together with its newest history row, each record is held
to its newest *sealed* change event: the event's `details.state` (audit.state, keyed) must be the
record's state now; one that differs was edited with its history row ("history_edited", its
changes against the values its sealed events tell), one that is gone was deleted with it. A record
whose newest change is not sealed yet waits for the next pass. This reads every change event of a
record type (camp scale: bench/audit_reconcile.py).
For each, it writes the missing history row (reason "changed outside the audited path")
and an event, `record.changed_outside_audit` (old and new values),
`record.created_outside_audit` or `record.deleted_outside_audit`, with the record's
patient, visit and camp, actor unknown, source `database`. A second pass finds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from audit import event_types as E
from audit import simple_history_adapter as adapter
from audit import state, turns
from audit.diff import build_changes, meaningful_fields, to_json
from audit.events import emit
from audit.history import AuditedHistory, AuditedModel, history_values
from audit.sanitize import sensitive_fields

REASON = "changed outside the audited path (audit_reconcile)"
REASON_EDITED = "edited with its history row, outside the audited path (audit_reconcile)"


@dataclass(frozen=True)
class Drift:
    model: type[AuditedModel]
    pk: int
    kind: str  # "changed", "created" (no history row), "deleted", "history_edited" (with its history row)
    sealed: dict[str, Any] | None = None  # the values its sealed change events say (and the newest event id)


# The change events of a record type, oldest first: the newest one with a state is what the record
# must equal (audit.state). Reads and refusals change nothing and are left out.
_CHANGES = """
    SELECT e.target_id, e.data, s.seq FROM audit_auditevent e LEFT JOIN audit_auditseal s ON s.event_pk = e.id
    WHERE e.target_type = %s AND e.outcome = 'success' AND e.action <> 'read' ORDER BY e.id
"""
_ONE_RECORD = """
    SELECT e.data FROM audit_auditevent e JOIN audit_auditseal s ON s.event_pk = e.id
    WHERE e.target_type = %s AND e.target_id = %s AND e.outcome = 'success' AND e.action <> 'read' ORDER BY e.id
"""


def audited_models() -> list[type[AuditedModel]]:
    return sorted((m for m in AuditedHistory.tracked if issubclass(m, AuditedModel)), key=lambda m: m._meta.label)


def compared_columns(model: type[AuditedModel]) -> list[str]:
    """The audited fields that the history table holds too, as column names."""
    history = adapter.history_model(model, "history")
    kept = {f.column for f in history._meta.concrete_fields}
    names = model.audit_fields
    ignore = set(model.audit_ignore)
    return [
        f.column
        for f in model._meta.concrete_fields
        if f.column in kept and f.name not in ignore and (names is None or f.name in names)
    ]


def _same(left: str, right: str) -> str:
    return f"{left} IS NOT DISTINCT FROM {right}" if connection.vendor == "postgresql" else f"{left} IS {right}"


def _queries(model: type[AuditedModel]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    history = quote(adapter.history_model(model, "history")._meta.db_table)
    latest = f"(SELECT {pk} AS rid, MAX(history_id) AS hid FROM {history} GROUP BY {pk})"  # noqa: S608
    differs = " OR ".join(f"NOT ({_same(f't.{quote(c)}', f'h.{quote(c)}')})" for c in compared_columns(model))
    live = (
        f"SELECT t.{pk}, h.history_type FROM {table} t "  # noqa: S608 (names come from the models)
        f"LEFT JOIN {latest} last ON last.rid = t.{pk} "
        f"LEFT JOIN {history} h ON h.history_id = last.hid "
        f"WHERE h.history_id IS NULL OR h.history_type = '-'{f' OR {differs}' if differs else ''}"
    )
    gone = (
        f"SELECT h.{pk} FROM {latest} last JOIN {history} h ON h.history_id = last.hid "  # noqa: S608
        f"WHERE h.history_type <> '-' AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{pk} = h.{pk})"
    )
    return live, gone


def find(model: type[AuditedModel]) -> Iterator[Drift]:
    live, gone = _queries(model)
    with connection.cursor() as cursor:
        cursor.execute(live)
        for pk, history_type in cursor.fetchall():
            yield Drift(model, pk, "created" if history_type in (None, "-") else "changed")
        cursor.execute(gone)
        for (pk,) in cursor.fetchall():
            yield Drift(model, pk, "deleted")


def sealed_states(model: type[AuditedModel]) -> dict[str, tuple[dict[str, Any], bool]]:
    """Each record's newest change event that says its state (a deletion says none), and whether it is sealed."""
    newest: dict[str, tuple[dict[str, Any], bool]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES, [model.audit_type])
        while rows := cursor.fetchmany(2000):
            for target_id, data, seq in rows:
                record = json.loads(data)
                if record.get("action") == "delete" or "state" in (record.get("details") or {}):
                    newest[target_id] = (record, seq is not None)
    return newest


def history_edits(model: type[AuditedModel], known: set[int]) -> Iterator[Drift]:
    """Records that differ from their newest sealed change event: edited together with their history
    row, or deleted with it. A record whose newest change is not sealed yet waits for the next pass."""
    if not model.audit_stream:
        return
    newest = sealed_states(model)
    live = state.live_states(model) if newest else {}
    for target_id, (record, sealed) in newest.items():
        expected = (record.get("details") or {}).get("state")
        if not sealed or expected is None or live.get(target_id) == expected or int(target_id) in known:
            continue
        kind = "history_edited" if target_id in live else "deleted"
        yield Drift(
            model, int(target_id), kind, {"event_id": record.get("event_id"), **_sealed_values(model, target_id)}
        )


def reconcile() -> list[Drift]:
    """Find every drift and write it down; returns what was found (empty: nothing drifted)."""
    found: list[Drift] = []
    with transaction.atomic():
        if not turns.my_turn(turns.RECONCILING):
            return found  # another process is reconciling
        for model in audited_models():
            drifts = list(find(model))
            drifts += list(history_edits(model, {d.pk for d in drifts}))
            for drift in drifts:
                _record(drift)
                found.append(drift)
    return found


def _record(drift: Drift) -> None:
    model, records = drift.model, AuditedHistory.records_of[drift.model]
    history = adapter.history_model(model, "history")
    last = history.objects.filter(**{model._meta.pk.attname: drift.pk}).order_by("-history_id").first()
    if drift.kind == "deleted":
        if last is None:  # its history is gone too: the sealed event is all that is left
            _emit(drift, None, None)
            return
        instance, history_type = last.instance, "-"
    else:
        instance, history_type = model._default_manager.get(pk=drift.pk), "+" if drift.kind == "created" else "~"
    row, meta = adapter.history_row(records, instance, history_type, None)
    row.history_user = None
    row.history_change_reason = REASON_EDITED if drift.kind == "history_edited" else REASON
    adapter.before_row_saved(instance, row, meta, None)
    row.save()
    adapter.after_row_saved(records, instance, row, meta, None)
    _emit(drift, instance, last)


def _sealed_values(model: type[AuditedModel], target_id: str) -> dict[str, Any]:
    """The record's values as its sealed change events tell them: each creation's fields, then each
    update's new sides, oldest first (one indexed read of one record's events)."""
    values: dict[str, Any] = {}
    with connection.cursor() as cursor:
        cursor.execute(_ONE_RECORD, [model.audit_type, target_id])
        for (data,) in cursor.fetchall():
            record = json.loads(data)
            values.update(record.get("fields") or {})
            values.update({name: change.get("new") for name, change in (record.get("changes") or {}).items()})
    return values


def _emit(drift: Drift, instance: AuditedModel | None, last: Any) -> None:
    if instance is None:
        emit(
            E.RECORD_DELETED_OUTSIDE_AUDIT,
            source="database",
            actor=None,
            level=40,
            target={"type": drift.model.audit_type, "id": drift.pk},
            details={"history_gone": True, "sealed_event": (drift.sealed or {}).get("event_id")},
            message=f"{drift.model.audit_type} {drift.pk} deleted outside the audited path, with its history",
            on_commit=True,
        )
        return
    names = instance.audit_fields
    current = instance.audit_values()
    old = history_values(last) if last is not None else {}
    changes = fields = None
    details: dict[str, Any] = {}
    if drift.kind == "deleted":
        details = {}
    else:
        details["state"] = state.digest(type(instance), current)
    if drift.kind == "history_edited" and drift.sealed is not None:
        masked = {*sensitive_fields(), "event_id"}  # the trail holds these masked: compared by the state alone
        sealed = {k: v for k, v in drift.sealed.items() if k not in masked}
        now = {k: to_json(v) for k, v in current.items() if k in sealed}
        changes = build_changes(sealed, now, fields=names, ignore=instance.audit_ignore)
        details.update(history_edited=True, sealed_event=drift.sealed.get("event_id"))
        event = E.RECORD_CHANGED_OUTSIDE_AUDIT
    elif drift.kind == "changed":
        changes = build_changes(old, current, fields=names, ignore=instance.audit_ignore)
        event = E.RECORD_CHANGED_OUTSIDE_AUDIT
    elif drift.kind == "created":
        selected = {k: v for k, v in current.items() if names is None or k in names}
        fields = meaningful_fields(selected, ignore=instance.audit_ignore)
        event = E.RECORD_CREATED_OUTSIDE_AUDIT
    else:
        event = E.RECORD_DELETED_OUTSIDE_AUDIT
    emit(
        event,
        source="database",
        actor=None,
        level=40,
        target={"type": instance.audit_type, "id": drift.pk},
        scope=instance.audit_scope(),
        changes=changes,
        fields=fields,
        details=details,
        message=f"{instance.audit_label()} {drift.kind.replace('_', ' ')} outside the audited path"
        + (f" ({', '.join(changes)})" if changes else ""),
        on_commit=True,
    )
