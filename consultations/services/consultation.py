"""Consultations: the doctor takes a patient, records findings; counselling follows up."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import ADMIN, COUNSELLOR, DOCTOR
from audit import event_types as E
from audit.events import actor_name
from audit.history import audited_save
from consultations.models import Consultation, QueueEntry
from consultations.selectors import left_to_hand_over
from consultations.services.queue import entry_change, lock_entry, move_entry, queue_update, visit_follow_queue
from consultations.services.rules import ensure_own
from core.error_codes import ErrorCode
from core.errors import Conflict, Forbidden, NotFound, about, one_locked
from patients.models import Visit
from patients.services import lock_visit, visit_move, visit_set_counselling

EntryStatus = QueueEntry.Status


@transaction.atomic
def consultation_open(
    *, by: User | None, queue_entry_id: int, loaded: QueueEntry | None = None, **fields: Any
) -> Consultation:
    """The doctor takes the patient: the entry goes to in_consultation and a consultation opens."""
    entry = lock_entry(queue_entry_id, loaded=loaded)
    with about(entry):
        return _open(by, entry, fields)


def _open(by: User | None, entry: QueueEntry, fields: dict[str, Any]) -> Consultation:
    ensure_own(by, entry.doctor, "queue entry")
    if entry.status not in QueueEntry.OPEN:
        raise Conflict(
            _("This queue entry is %(status)s."),
            params={"status": EntryStatus(entry.status).label},
            code=ErrorCode.INVALID_TRANSITION,
            extra={"from": entry.status, "to": EntryStatus.IN_CONSULTATION},
        )
    existing = Consultation.objects.filter(visit_id=entry.visit_id, doctor=entry.doctor).first()
    if existing is not None:
        raise Conflict(
            _("This doctor already has a consultation for this visit."),
            code=ErrorCode.CONSULTATION_EXISTS,
            extra={"existing_id": existing.pk},
        )
    visit = lock_visit(entry.visit_id)
    entry.visit = visit
    if entry.status == EntryStatus.WAITING:
        old = entry.status
        move_entry(entry, EntryStatus.IN_CONSULTATION)
        audited_save(entry, by=by, **entry_change(by, entry, old, entry.priority))
    consultation = Consultation(visit=visit, doctor=entry.doctor, queue_entry=entry, **fields)
    message = f"{entry.doctor.display_name()} began consulting token {visit.token_number}"
    audited_save(consultation, by=by, event=E.CONSULTATION_OPENED, message=message)
    visit_follow_queue(by=by, visit=visit)
    sync_counselling(by=by, visit=visit)
    return consultation


def lock_consultation(
    consultation_id: int, *, subject: bool = False, loaded: Consultation | None = None
) -> Consultation:
    """The consultation with its visit and doctor, locked; the plain 404 when the URL names it."""
    missing = (
        None
        if subject
        else NotFound(_("There is no consultation %(id)s."), params={"id": consultation_id}, code=ErrorCode.NOT_FOUND)
    )
    consultations = Consultation.objects.select_related("visit", "doctor")
    return one_locked(consultations, consultation_id, loaded=loaded, missing=missing)


@transaction.atomic
def consultation_update(
    *, by: User | None, consultation_id: int, loaded: Consultation | None = None, **changes: Any
) -> Consultation:
    """The consulting doctor records complaint, diagnosis, advice and whether counselling is needed."""
    consultation = lock_consultation(consultation_id, subject=True, loaded=loaded)
    with about(consultation):
        ensure_own(by, consultation.doctor, "consultation")
    for name, value in changes.items():
        setattr(consultation, name, value)
    audited_save(consultation, by=by)
    if "counselling_status" in changes:
        sync_counselling(by=by, visit=lock_visit(consultation.visit_id))
    return consultation


@transaction.atomic
def consultation_counsel(
    *,
    by: User | None,
    consultation_id: int,
    counselling_status: str,
    counselling_notes: str | None = None,
    loaded: Consultation | None = None,
) -> Consultation:
    """A counsellor marks counselling pending or done, with notes."""
    consultation = lock_consultation(consultation_id, subject=True, loaded=loaded)
    if by is not None and not by.has_role(ADMIN, COUNSELLOR, DOCTOR):
        raise Forbidden(_("Only counsellors record counselling."), code=ErrorCode.PERMISSION_DENIED)
    consultation.counselling_status = counselling_status
    if counselling_notes is not None:
        consultation.counselling_notes = counselling_notes
    message = f"{actor_name(by)} set counselling of token {consultation.visit.token_number} to {counselling_status}"
    audited_save(consultation, by=by, event=E.CONSULTATION_COUNSELLING_UPDATED, message=message)
    sync_counselling(by=by, visit=lock_visit(consultation.visit_id))
    return consultation


def sync_counselling(*, by: User | None, visit: Visit) -> None:
    """The visit's counselling flag follows its consultations: pending wins, then done."""
    statuses = set(Consultation.objects.filter(visit=visit).values_list("counselling_status", flat=True))
    C = Visit.Counselling
    target = C.PENDING if C.PENDING in statuses else C.DONE if C.DONE in statuses else C.NOT_REQUIRED
    visit_set_counselling(by=by, visit=visit, counselling=target)


@transaction.atomic
def consultation_complete(*, by: User | None, consultation_id: int) -> tuple[Consultation, bool]:
    """The doctor is done: the queue entry completes and the visit moves on to the pharmacy.

    With nothing left to hand over (no active prescription with a quantity remaining), the
    visit moves past the pharmacy to completed ("nothing to dispense"). Returns the
    consultation and whether that happened.
    """
    consultation = lock_consultation(consultation_id, subject=True)
    with about(consultation):
        ensure_own(by, consultation.doctor, "consultation")
        if consultation.queue_entry_id is None:
            raise Conflict(_("This consultation has no queue entry to complete."), code=ErrorCode.INVALID_TRANSITION)
    queue_update(by=by, entry_id=consultation.queue_entry_id, status=EntryStatus.COMPLETED)
    visit = lock_visit(consultation.visit_id)
    if visit.status != Visit.Status.CONSULTED or left_to_hand_over(visit):
        return consultation, False
    visit_move(by=by, visit=visit, to=Visit.Status.COMPLETED, reason="nothing to dispense")
    return consultation, True
