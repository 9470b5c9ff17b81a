"""The audit API: one function that records an event with the keys of docs/audit-events.md.

Call sites: services (domain changes, via audit.history), views (reads and access),
auth (logins, logouts, rejected tokens) and the API's exception handler (refusals).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal

from audit import clock, context, store
from audit.catalogue import EventType
from audit.sanitize import scrub, sensitive_fields
from core.metrics import SINK_FAILED, SINK_WRITTEN

AUDIT_LOGGER_NAME = "medcamp.audit"
_logger = logging.getLogger(AUDIT_LOGGER_NAME)

OUTCOMES = ("success", "failure")
SOURCES = ("route", "service", "admin", "auth", "command", "database")  # database: found by audit_reconcile

_UNSET: Any = object()

# Sent with each event as it is built (sender: its EventType); the test suite checks every event
# against its catalogue entry here. No receiver in production: sending costs nothing then.
built = Signal()


def actor_name(user: Any) -> str:
    """Who did it, in a message: the username, or `system` for a command acting as nobody."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "system"
    return str(user.get_username())


def actor_of(user: Any) -> dict[str, Any] | None:
    """`{id, username, roles}` of a user, or None for anonymous."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    roles = user.role_names() if hasattr(user, "role_names") else []
    return {"id": user.pk, "username": user.get_username(), "roles": roles}


def default_source() -> str:
    """Where a domain change comes from when the caller does not say."""
    ctx = context.current()
    if ctx is None:
        return "command"
    return "admin" if ctx.channel == "admin" else "service"


def now_iso(moment: datetime | None = None) -> str:
    """`moment` (by default the trail's time now, audit.clock) as the events' UTC ISO 8601 with ms."""
    moment = moment if moment is not None else clock.now()
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_event(
    event: EventType,
    *,
    outcome: str = "success",
    reason: str | None = None,
    message: str = "",
    actor: Any = _UNSET,
    target: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    fields: Mapping[str, Any] | None = None,
    scope: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    source: str | None = None,
    level: int | None = None,
) -> dict[str, Any]:
    """The event as a JSON-native dict, scrubbed of secrets and sensitive values."""
    if not isinstance(event, EventType):
        raise TypeError(f"audit events are catalogue entries (audit/event_types.py), not {event!r}")
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown audit source {source!r}")
    ctx = context.current()
    if actor is _UNSET:
        actor = ctx.user() if ctx is not None else None
    if level is None:
        level = logging.INFO if outcome == "success" else logging.WARNING
    moment, corrected = clock.stamp()
    record: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "timestamp": now_iso(moment),
        "level": logging.getLevelName(level),
        "event": event.name,
        "action": event.action,
        "outcome": outcome,
    }
    if corrected is not None:
        record["clock_offset"] = corrected  # stamped with the database's time: this server's clock is off
    if outcome != "success":
        record["reason"] = scrub(reason or "unspecified")
    record["actor"] = actor if isinstance(actor, dict) or actor is None else actor_of(actor)
    record["request"] = ctx.as_dict() if ctx is not None else None
    record["source"] = source or default_source()
    if target:
        record["target"] = dict(target)
    for key, value in (scope or {}).items():
        if value is not None:
            record[key] = value
    sensitive = sensitive_fields()
    # A record's own values are masked by key; what was asked and said also for phone numbers in text.
    if changes is not None:
        record["changes"] = scrub(dict(changes), sensitive=sensitive, text=False)
    if fields is not None:
        record["fields"] = scrub(dict(fields), sensitive=sensitive, text=False)
    if details:
        record["details"] = scrub(dict(details), sensitive=sensitive)
    record["message"] = scrub(message or event.name)
    built.send(sender=event, record=record)
    return record


def write(record: dict[str, Any], shipped: bool = False) -> None:
    """Send a built event to every sink; a `shipped` one reaches LogBull from the store (audit.shipper)."""
    extra = {"audit": record, "audit_shipped": shipped}
    _logger.log(logging.getLevelName(record["level"]), record["message"], extra=extra)


def record_event(
    record: dict[str, Any], *, on_commit: bool = False, using: str | None = None, stored: bool = False
) -> None:
    """Store a built event in the current transaction, and send it to the sinks now or on commit.

    The store's row shares the transaction it is written in: a change's row commits or rolls
    back with the change (`stored`: it was already written with its history row). The other
    sinks hear of an `on_commit` event only once it commits.
    """
    try:
        held = stored or store.insert(record)
    except Exception:  # the change's transaction fails with it; counted, then raised as before
        SINK_FAILED.labels("store").inc()
        raise
    if held:
        SINK_WRITTEN.labels("store").inc()
    shipped = held and bool(settings.AUDIT_SHIP)
    if on_commit:
        transaction.on_commit(lambda: write(record, shipped), using=using)
    else:
        write(record, shipped)


def emit(event: EventType, *, on_commit: bool = False, **kwargs: Any) -> dict[str, Any]:
    """Build, store and send one audit event; with on_commit, sinks hear of it once the transaction commits."""
    record = build_event(event, **kwargs)
    record_event(record, on_commit=on_commit)
    return record


def alarm(event: EventType, reason: str, message: str, **kwargs: Any) -> dict[str, Any]:
    """An alarm of the trail about itself: a failure at CRITICAL, by no one, from a command or pass."""
    return emit(
        event,
        outcome="failure",
        reason=reason,
        source="command",
        actor=None,
        level=50,
        message=f"ALARM: {message}",
        **kwargs,
    )


def scope_of(record: Any) -> dict[str, Any]:
    """patient_id / visit_id / camp_id of an audited record (no queries)."""
    audit_scope = getattr(record, "audit_scope", None)
    return audit_scope() if audit_scope is not None else {}


def target_of(obj: Any) -> dict[str, Any]:
    audit_type = getattr(obj, "audit_type", None) or obj._meta.model_name
    return {"type": audit_type, "id": obj.pk}
