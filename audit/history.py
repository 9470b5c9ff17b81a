"""What ties history records to the event stream.

Every domain model subclasses `AuditedModel` and has `history = AuditedHistory()`. When
django-simple-history writes a history row (in the change's own transaction),
`AuditedHistory` builds the change event from the values the instance had when it was
loaded (`AuditedModel.audit_loaded`, kept by `from_db`), so finding out what changed costs
no query; stores it with the history row (on PostgreSQL in the same statement) and sends
it to the other sinks only once the transaction commits: a rolled-back change leaves
neither. The same path serves the API, Django admin and management commands, so a
change is logged once whichever way it is made.

Services say who made a change and what it means in one explicit, typed context:
`with audited(instance, by=user, event=E.QUEUE_PRIORITY_CHANGED, message=...):` around
the save, or `audited_save(instance, by=user, ...)`. `AuditedHistory` and simple-history's
user lookup read that context; nothing travels in private attributes of the instance.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import models
from simple_history.models import HistoricalRecords

from audit import context, state, store
from audit import simple_history_adapter as adapter
from audit.catalogue import EventType, Kind
from audit.diff import build_changes, meaningful_fields
from audit.event_types import EVENTS
from audit.events import actor_name, actor_of, build_event, record_event

_KINDS = {"+": Kind.CREATED, "~": Kind.UPDATED, "-": Kind.DELETED}


class AuditedModel(models.Model):
    audit_type: ClassVar[str] = ""
    audit_fields: ClassVar[tuple[str, ...] | None] = None  # None: every concrete field
    audit_ignore: ClassVar[tuple[str, ...]] = ("id", "created_at", "updated_at")
    # False: history rows only; the service logs the change as part of another record's event
    # (a stock movement belongs to its batch's event), so one action is one event.
    audit_stream: ClassVar[bool] = True
    # The audited values as last loaded or saved: the "old" side of the next change's diff.
    audit_loaded: dict[str, Any] | None = None

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """An update of a loaded record writes only the fields that changed (and `updated_at`).

        One that changes nothing writes nothing: no UPDATE, no history row, no event, so a
        repeated identical request leaves the history tables and the event store as they were.
        """
        if kwargs.get("update_fields") is None and not args and self.pk is not None and not self._state.adding:
            changed = self.audit_changed_fields()
            if changed == []:
                return
            if changed is not None:
                kwargs["update_fields"] = changed
        super().save(*args, **kwargs)
        self.audit_loaded = self.audit_values()

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance.audit_loaded = instance.audit_values()
        return instance

    def audit_changed_fields(self) -> list[str] | None:
        """Names of the fields that differ from the values as loaded ([] for none); None when not loaded."""
        loaded = self.audit_loaded
        if loaded is None:
            return None
        current = self.audit_values()
        changed = {name for name, value in current.items() if name not in loaded or loaded[name] != value}
        if not changed:
            return []
        auto_now = {f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)}
        return sorted((changed | auto_now) - {self._meta.pk.name})

    def audit_values(self) -> dict[str, Any]:
        """Current values by field name (foreign keys as ids), deferred fields left out."""
        deferred = self.get_deferred_fields()
        return {f.name: getattr(self, f.attname) for f in self._meta.concrete_fields if f.attname not in deferred}

    def audit_restore(self) -> None:
        """Put the values as loaded back (a form set its input on the instance before a service checks it)."""
        by_name = {f.name: f.attname for f in self._meta.concrete_fields}
        for name, value in (self.audit_loaded or {}).items():
            setattr(self, by_name[name], value)

    def audit_scope(self) -> dict[str, Any]:
        """patient_id / camp_id / visit_id this record concerns (no queries)."""
        return {}

    def audit_label(self) -> str:
        return f"{self.audit_type} {self.pk}"


@dataclass(frozen=True)
class Change:
    """Who changes `instance` and what the change means, for the history record it produces."""

    instance: models.Model
    by: Any = None
    event: EventType | None = None
    message: str | None = None
    details: Mapping[str, Any] | None = None


_changes: ContextVar[tuple[Change, ...]] = ContextVar("medcamp_audit_changes", default=())


@contextmanager
def audited(
    instance: models.Model,
    *,
    by: Any = None,
    event: EventType | None = None,
    message: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> Iterator[None]:
    """Saves of `instance` inside this block are made by `by` and logged as `event`."""
    token = _changes.set((*_changes.get(), Change(instance, by, event, message, details)))
    try:
        yield
    finally:
        _changes.reset(token)


def audited_save(instance: models.Model, *, by: Any = None, update_fields: Any = None, **meaning: Any) -> None:
    """Save `instance` as `by`, with the event name, message and details given."""
    with audited(instance, by=by, **meaning):
        instance.save(update_fields=update_fields)


def change_of(instance: models.Model) -> Change | None:
    """The innermost `audited` context for this very instance, if any."""
    for change in reversed(_changes.get()):
        if change.instance is instance:
            return change
    return None


def history_user(instance: Any = None, request: Any = None, **kwargs: Any) -> Any:
    """simple-history's `get_user`: the `by` of the change, else the signed-in user of the request."""
    change = change_of(instance) if instance is not None else None
    if change is not None and change.by is not None:
        return change.by
    return getattr(request, "user", None)


def _actor(history_user: Any) -> Any:
    ctx = context.current()
    user = ctx.user() if ctx is not None else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user
    return history_user


def change_event(
    instance: AuditedModel, history_type: str, history_user: Any, prev: Any = None
) -> dict[str, Any] | None:
    """The audit event for one history record, or None when nothing audited changed."""
    change = change_of(instance) or Change(instance)
    kind = _KINDS[history_type]
    current = instance.audit_values()
    names = instance.audit_fields
    changes = fields = None
    if kind == Kind.UPDATED:
        loaded = instance.audit_loaded
        if loaded is None:
            loaded = history_values(prev) if prev is not None else {}
        changes = build_changes(loaded, current, fields=names, ignore=instance.audit_ignore)
        if not changes and not change.details:
            instance.audit_loaded = current
            return None
    else:
        selected = {k: v for k, v in current.items() if names is None or k in names}
        fields = meaningful_fields(selected, ignore=instance.audit_ignore)
    instance.audit_loaded = current
    details = dict(change.details or {})
    if kind != Kind.DELETED:
        details["state"] = state.digest(type(instance), current)  # what reconcile holds the record to
    user = _actor(history_user)
    default_message = f"{actor_name(user)} {kind} {instance.audit_label()}"
    if changes:
        default_message += f" ({', '.join(changes)})"
    return build_event(
        change.event or EVENTS.of(instance.audit_type, kind),
        actor=actor_of(user),
        target={"type": instance.audit_type, "id": instance.pk},
        scope=instance.audit_scope(),
        changes=changes,
        fields=fields,
        details=details,
        message=change.message or default_message,
    )


def history_values(history_row: Any) -> dict[str, Any]:
    """The record's values as a history row holds them, by field name (the \"old\" side of a diff)."""
    return {f.name: getattr(history_row, f.attname) for f in history_row.instance_type._meta.concrete_fields}


class AuditedHistory(HistoricalRecords):
    """simple-history's records for an `AuditedModel`, each with its change event.

    The event is built as the history row is (from the values as loaded: no query), stored
    in the event store in the same transaction (on PostgreSQL in the same statement as the
    history row, audit.store.insert_with_history), and sent to the other sinks on commit.
    What simple-history does around the row (its signals, m2m history) is done by
    audit/simple_history_adapter.py, the one module that follows simple-history's internals.
    """

    tracked: ClassVar[set[type]] = set()  # models whose history this keeps (system check audit.E003)
    records_of: ClassVar[dict[type, AuditedHistory]] = {}  # each model's own (audit_reconcile writes rows)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("get_user", history_user)
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: Any, name: str) -> None:
        super().contribute_to_class(cls, name)
        AuditedHistory.tracked.add(cls)
        AuditedHistory.records_of[cls] = self

    def create_historical_record(self, instance: Any, history_type: str, using: str | None = None) -> None:
        if not (isinstance(instance, AuditedModel) and instance.audit_stream):
            with adapter.dated(instance):
                return super().create_historical_record(instance, history_type, using)
        using = using if self.use_base_model_db else None
        row, meta = adapter.history_row(self, instance, history_type, using)
        prev = row.prev_record if history_type == "~" and instance.audit_loaded is None else None
        record = change_event(instance, history_type, meta["history_user"], prev)
        if record is None and history_type == "~":
            return None  # no audited field changed: one change is one history row and one event
        adapter.before_row_saved(instance, row, meta, using)
        stored = record is not None and store.insert_with_history(row, record, using)
        if not stored:
            row.save(using=using)
        adapter.after_row_saved(self, instance, row, meta, using)
        if record is not None:
            record_event(record, on_commit=True, using=using, stored=stored)
        return None
