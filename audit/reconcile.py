"""Changes made outside the audited path, found and written down (manage.py audit_reconcile, and a periodic pass).

A change through the services writes the record and its history row in one transaction,
so a record always equals its latest history row. One made another way (a queryset's
`update()`, a data migration, raw SQL in psql) does not; this pass finds it with two
set-based queries per audited table (no Python loop over rows):
- each record whose latest history row (highest history_id) is missing, is a deletion, or
  differs in an audited field (null-safe comparison in SQL);
- each latest history row that is not a deletion but whose record is gone.
For each, it writes the missing history row (reason "changed outside the audited path")
and an event, `record.changed_outside_audit` (old and new values),
`record.created_outside_audit` or `record.deleted_outside_audit`, with the record's
patient, visit and camp, actor unknown, source `database`. A second pass finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from audit import event_types as E
from audit import simple_history_adapter as adapter
from audit import turns
from audit.diff import build_changes, meaningful_fields
from audit.events import emit
from audit.history import AuditedHistory, AuditedModel, history_values

REASON = "changed outside the audited path (audit_reconcile)"


@dataclass(frozen=True)
class Drift:
    model: type[AuditedModel]
    pk: int
    kind: str  # "changed", "created" (no history row), "deleted"


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


def reconcile() -> list[Drift]:
    """Find every drift and write it down; returns what was found (empty: nothing drifted)."""
    found: list[Drift] = []
    with transaction.atomic():
        if not turns.my_turn(turns.RECONCILING):
            return found  # another process is reconciling
        for model in audited_models():
            for drift in list(find(model)):
                _record(drift)
                found.append(drift)
    return found


def _record(drift: Drift) -> None:
    model, records = drift.model, AuditedHistory.records_of[drift.model]
    history = adapter.history_model(model, "history")
    last = history.objects.filter(**{model._meta.pk.attname: drift.pk}).order_by("-history_id").first()
    if drift.kind == "deleted":
        instance, history_type = last.instance, "-"
    else:
        instance, history_type = model._default_manager.get(pk=drift.pk), "+" if drift.kind == "created" else "~"
    row, meta = adapter.history_row(records, instance, history_type, None)
    row.history_user = None
    row.history_change_reason = REASON
    adapter.before_row_saved(instance, row, meta, None)
    row.save()
    adapter.after_row_saved(records, instance, row, meta, None)
    _emit(drift, instance, last)


def _emit(drift: Drift, instance: AuditedModel, last: Any) -> None:
    names = instance.audit_fields
    current = instance.audit_values()
    old = history_values(last) if last is not None else {}
    changes = fields = None
    if drift.kind == "changed":
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
        message=f"{instance.audit_label()} {drift.kind} outside the audited path"
        + (f" ({', '.join(changes)})" if changes else ""),
        on_commit=True,
    )
