"""What ties history records to the event stream.

Every domain model subclasses `AuditedModel` and has `history = HistoricalRecords()`.
When django-simple-history writes a history row (in the change's own transaction),
the receiver below builds the change event from the values the instance had when
it was loaded (`from_db`), so finding out what changed costs no query, and sends
it only once the transaction commits: a rolled-back change emits nothing. The same
path serves the API, Django admin and management commands, so a change is logged
once whichever way it is made.

Services add domain meaning to the event with `audit_note()` before saving: a
specific event name (`queue.priority_changed`), a sentence, and details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db import models, transaction
from django.dispatch import receiver
from simple_history.signals import post_create_historical_record

from audit import context
from audit.diff import Transform, build_changes, meaningful_fields
from audit.events import actor_of, build_event, write

_KINDS = {"+": ("create", "created"), "~": ("update", "updated"), "-": ("delete", "deleted")}


class AuditedModel(models.Model):
    audit_type: ClassVar[str] = ""
    audit_fields: ClassVar[tuple[str, ...] | None] = None  # None: every concrete field
    audit_ignore: ClassVar[tuple[str, ...]] = ("id", "created_at", "updated_at")
    audit_transforms: ClassVar[Mapping[str, Transform]] = {}
    # False: history rows only; the service logs the change as part of another record's event
    # (a stock movement belongs to its batch's event), so one action is one event.
    audit_stream: ClassVar[bool] = True

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Any:
        instance = super().from_db(db, field_names, values)
        instance.__dict__["_audit_loaded"] = instance.audit_values()
        return instance

    def audit_values(self) -> dict[str, Any]:
        """Current values by field name (foreign keys as ids), deferred fields left out."""
        deferred = self.get_deferred_fields()
        return {f.name: getattr(self, f.attname) for f in self._meta.concrete_fields if f.attname not in deferred}

    def audit_scope(self) -> dict[str, Any]:
        """patient_id / camp_id / visit_id this record concerns (no queries)."""
        return {}

    def audit_label(self) -> str:
        return f"{self.audit_type} {self.pk}"


def audit_note(
    instance: AuditedModel,
    *,
    event: str | None = None,
    message: str | None = None,
    details: Mapping[str, Any] | None = None,
    action: str | None = None,
    by: Any = None,
) -> None:
    """Give the next history record of `instance` a domain event name, sentence and details."""
    instance._audit_note = {"event": event, "message": message, "details": details, "action": action}  # type: ignore[attr-defined]
    if by is not None:
        instance._history_user = by  # type: ignore[attr-defined]


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
    note: dict[str, Any] = instance.__dict__.pop("_audit_note", None) or {}
    action, past = _KINDS[history_type]
    current = instance.audit_values()
    names = instance.audit_fields
    selected = {k: v for k, v in current.items() if names is None or k in names}
    changes = fields = None
    if action == "update":
        loaded = instance.__dict__.get("_audit_loaded")
        if loaded is None:
            loaded = _values_of(prev) if prev is not None else {}
        changes = build_changes(
            loaded, current, fields=names, ignore=instance.audit_ignore, transforms=instance.audit_transforms
        )
        if not changes and not note.get("details"):
            instance.__dict__["_audit_loaded"] = current
            return None
    else:
        fields = meaningful_fields(selected, ignore=instance.audit_ignore, transforms=instance.audit_transforms)
    instance.__dict__["_audit_loaded"] = current
    actor = _actor(history_user)
    who = (actor_of(actor) or {}).get("username", "system")
    default_message = f"{who} {past} {instance.audit_label()}"
    if changes:
        default_message += f" ({', '.join(changes)})"
    return build_event(
        note.get("event") or f"{instance.audit_type}.{past}",
        action=note.get("action") or action,
        actor=actor_of(actor),
        target={"type": instance.audit_type, "id": instance.pk},
        scope=instance.audit_scope(),
        changes=changes,
        fields=fields,
        details=note.get("details"),
        message=note.get("message") or default_message,
    )


def _values_of(history_row: Any) -> dict[str, Any]:
    return {f.name: getattr(history_row, f.attname) for f in history_row.instance_type._meta.concrete_fields}


@receiver(post_create_historical_record)
def history_to_stream(
    sender: Any, instance: Any, history_instance: Any, history_user: Any, using: str | None = None, **kwargs: Any
) -> None:
    if not isinstance(instance, AuditedModel) or not instance.audit_stream:
        return
    prev = None
    if history_instance.history_type == "~" and "_audit_loaded" not in instance.__dict__:
        prev = history_instance.prev_record  # only for an instance not loaded from the database
    record = change_event(instance, history_instance.history_type, history_user, prev)
    if record is not None:
        transaction.on_commit(lambda: write(record), using=using)
