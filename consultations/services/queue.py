"""The doctors' queues: sending a visit to a doctor, moving and re-prioritising entries."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import ADMIN, DOCTOR, VOLUNTEER
from accounts.selectors import doctors
from audit import event_types as E
from audit.events import actor_name
from audit.history import audited, audited_save
from consultations.models import QueueEntry
from consultations.services.rules import ensure_own, person
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, Forbidden, NotFound, about, one_locked
from core.statemachine import check_transition
from patients.models import Visit
from patients.services import CLOSED_VISIT, lock_visit, visit_move

EntryStatus = QueueEntry.Status


def visit_follow_queue(*, by: User | None, visit: Visit) -> None:
    """The visit's status follows its queue entries (queued, in consultation, consulted)."""
    if visit.status in (*CLOSED_VISIT, Visit.Status.DISPENSED):
        return
    statuses = set(QueueEntry.objects.filter(visit=visit).values_list("status", flat=True))
    if EntryStatus.IN_CONSULTATION in statuses:
        target = Visit.Status.IN_CONSULTATION
    elif EntryStatus.WAITING in statuses:
        target = Visit.Status.QUEUED
    elif EntryStatus.COMPLETED in statuses:
        target = Visit.Status.CONSULTED
    else:
        return
    if target != visit.status:
        visit_move(by=by, visit=visit, to=target)


@transaction.atomic
def queue_assign(
    *, by: User | None, visit_id: int, doctor_id: int, priority: str = "normal", loaded: Visit | None = None
) -> QueueEntry:
    """Send a visit to a doctor's queue; the event names the patient and the doctor."""
    visit = lock_visit(visit_id, loaded=loaded)
    if visit.status in (*CLOSED_VISIT, Visit.Status.DISPENSED):
        raise Conflict(
            _("Visit %(visit)s is %(status)s; it cannot be queued."),
            params={"visit": visit.pk, "status": Visit.Status(visit.status).label},
            code=ErrorCode.VISIT_CLOSED,
        )
    doctor = doctors().filter(pk=doctor_id).first()
    if doctor is None:
        raise DomainError(
            _("Choose a doctor."),
            params={"id": doctor_id},
            code=ErrorCode.INVALID,
            fields={"doctor": [_("User %(id)s is not a doctor.")]},
        )
    existing = QueueEntry.objects.filter(visit=visit, doctor=doctor, status__in=QueueEntry.OPEN).first()
    if existing is not None:
        raise _already_queued(existing, doctor)
    patient = visit.patient
    entry = QueueEntry(visit=visit, doctor=doctor, priority=priority, assigned_by=by)
    message = (
        f"{actor_name(by)} sent {patient.name} ({patient.book_no}, token {visit.token_number}) "
        f"to {doctor.display_name()} as {priority}"
    )
    details = {
        "patient": {"id": patient.pk, "name": patient.name, "book_no": patient.book_no},
        "doctor": person(doctor),
        "token_number": visit.token_number,
    }
    try:
        with transaction.atomic(), audited(entry, by=by, event=E.QUEUE_ASSIGNED, message=message, details=details):
            entry.save()
    except IntegrityError:
        raise _already_queued(None, doctor) from None
    visit_follow_queue(by=by, visit=visit)
    return entry


def _already_queued(existing: QueueEntry | None, doctor: User) -> Conflict:
    return Conflict(
        _("This visit is already in %(doctor)s's queue."),
        params={"doctor": doctor.display_name()},
        code=ErrorCode.ALREADY_QUEUED,
        extra={"existing_id": existing.pk} if existing else {},
    )


def lock_entry(entry_id: int, *, subject: bool = False, loaded: QueueEntry | None = None) -> QueueEntry:
    """The queue entry, locked; a missing one is the plain 404 when the URL names it (`subject`)."""
    missing = (
        None
        if subject
        else NotFound(_("There is no queue entry %(id)s."), params={"id": entry_id}, code=ErrorCode.NOT_FOUND)
    )
    return one_locked(QueueEntry.objects.select_related("doctor"), entry_id, loaded=loaded, missing=missing)


def move_entry(entry: QueueEntry, to: str) -> None:
    """Move an entry through its transition table, stamping when it started and finished."""
    check_transition(QueueEntry.TRANSITIONS, entry.status, to, what=_("queue entry"))
    entry.status = to
    now = timezone.now()
    if to == EntryStatus.IN_CONSULTATION and entry.started_at is None:
        entry.started_at = now
    if to in (EntryStatus.COMPLETED, EntryStatus.CANCELLED):
        entry.finished_at = now


def _ensure_may_change(by: User | None, entry: QueueEntry, status: str | None) -> None:
    if status is not None and status != entry.status:
        if by is not None and not by.has_role(ADMIN, DOCTOR):
            raise Forbidden(_("Only the doctor moves a queue entry."), code=ErrorCode.PERMISSION_DENIED)
        ensure_own(by, entry.doctor, "queue entry")
    elif by is not None and by.has_role(DOCTOR) and not by.has_role(ADMIN, VOLUNTEER):
        ensure_own(by, entry.doctor, "queue entry")
    if entry.status not in QueueEntry.OPEN:
        raise Conflict(
            _("This queue entry is %(status)s; it cannot change."),
            params={"status": EntryStatus(entry.status).label},
            code=ErrorCode.INVALID_TRANSITION,
            extra={"from": entry.status, "to": status or entry.status},
        )


@transaction.atomic
def queue_update(
    *,
    by: User | None,
    entry_id: int,
    status: str | None = None,
    priority: str | None = None,
    loaded: QueueEntry | None = None,
) -> QueueEntry:
    """Move a queue entry (its doctor or an admin) and/or change its priority (also volunteers)."""
    entry = lock_entry(entry_id, subject=True, loaded=loaded)
    with about(entry):
        _ensure_may_change(by, entry, status)
        _queue_change(by, entry, status, priority)
    return entry


def _queue_change(by: User | None, entry: QueueEntry, status: str | None, priority: str | None) -> None:
    old_status, old_priority = entry.status, entry.priority
    if priority is not None:
        check_transition(QueueEntry.PRIORITY_TRANSITIONS, entry.priority, priority, what=_("queue priority"))
        entry.priority = priority
    if status is not None:
        move_entry(entry, status)
    entry.visit = lock_visit(entry.visit_id)
    audited_save(entry, by=by, **entry_change(by, entry, old_status, old_priority))
    if entry.status != old_status:
        visit_follow_queue(by=by, visit=entry.visit)


def entry_change(by: User | None, entry: QueueEntry, old_status: str, old_priority: str) -> dict[str, Any]:
    """Event name, sentence and details of a queue entry's move or new priority."""
    token = entry.visit.token_number
    parts = []
    if entry.priority != old_priority:
        parts.append(f"from {old_priority} to {entry.priority}")
    if entry.status != old_status:
        parts.append(f"from {old_status} to {entry.status}")
    if entry.priority != old_priority and entry.status == old_status:
        event = E.QUEUE_PRIORITY_CHANGED
    elif entry.status != old_status and entry.priority == old_priority:
        event = E.QUEUE_STATUS_CHANGED
    else:
        event = E.QUEUE_UPDATED
    return {
        "event": event,
        "message": f"{actor_name(by)} moved token {token} " + " and ".join(parts),
        "details": {"doctor": person(entry.doctor), "token_number": token},
    }
