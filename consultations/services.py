"""The doctor's side of a camp day: queue, consultations, prescriptions, counselling.

Ownership rules live here, not in the views, so Django admin and commands obey them:
a doctor moves only their own queue entries and writes only their own consultations.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMIN, COUNSELLOR, DOCTOR
from audit.history import audit_note
from clinic.errors import Conflict, DomainError, Forbidden, NotFound
from clinic.statemachine import check_transition
from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from patients.services import CLOSED_VISIT, lock_visit, visit_move
from pharmacy.models import Medicine

Q = QueueEntry.Status


def _who(by: User | None) -> str:
    return by.username if by else "system"


def _is_admin(by: User | None) -> bool:
    return by is None or by.has_role(ADMIN)  # None: a command or script acting as the system


def ensure_own(by: User | None, doctor: User, what: str) -> None:
    """Refuse unless `by` is that doctor (or an admin)."""
    if _is_admin(by) or (by is not None and by.pk == doctor.pk):
        return
    raise Forbidden(f"This {what} belongs to {doctor.display_name()}, not to you.", code="not_your_patient")


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name(), "username": user.username}


def visit_follow_queue(*, by: User | None, visit: Visit) -> None:
    """The visit's status follows its queue entries (queued, in consultation, consulted)."""
    if visit.status in (*CLOSED_VISIT, Visit.Status.DISPENSED):
        return
    statuses = set(QueueEntry.objects.filter(visit=visit).values_list("status", flat=True))
    if Q.IN_CONSULTATION in statuses:
        target = Visit.Status.IN_CONSULTATION
    elif Q.WAITING in statuses:
        target = Visit.Status.QUEUED
    elif Q.COMPLETED in statuses:
        target = Visit.Status.CONSULTED
    else:
        return
    if target != visit.status:
        visit_move(by=by, visit=visit, to=target)


# --- queue -----------------------------------------------------------------------------------
@transaction.atomic
def queue_assign(*, by: User | None, visit_id: int, doctor_id: int, priority: str = "normal") -> QueueEntry:
    """Send a visit to a doctor's queue; the event names the patient and the doctor."""
    visit = lock_visit(visit_id)
    if visit.status in (*CLOSED_VISIT, Visit.Status.DISPENSED):
        raise Conflict(f"Visit {visit.pk} is {visit.status}; it cannot be queued.", code="visit_closed")
    doctor = User.objects.filter(pk=doctor_id, is_active=True, groups__name=DOCTOR).first()
    if doctor is None:
        raise DomainError("Choose a doctor.", code="invalid", fields={"doctor": [f"User {doctor_id} is not a doctor."]})
    existing = QueueEntry.objects.filter(visit=visit, doctor=doctor, status__in=QueueEntry.OPEN).first()
    if existing is not None:
        raise _already_queued(existing, doctor)
    patient = visit.patient
    entry = QueueEntry(visit=visit, doctor=doctor, priority=priority, assigned_by=by)
    audit_note(
        entry,
        by=by,
        event="queue.assigned",
        message=f"{_who(by)} sent {patient.name} ({patient.book_no}, token {visit.token_number}) "
        f"to {doctor.display_name()} as {priority}",
        details={
            "patient": {"id": patient.pk, "name": patient.name, "book_no": patient.book_no},
            "doctor": person(doctor),
            "token_number": visit.token_number,
        },
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise _already_queued(None, doctor) from None
    visit_follow_queue(by=by, visit=visit)
    return entry


def _already_queued(existing: QueueEntry | None, doctor: User) -> Conflict:
    return Conflict(
        f"This visit is already in {doctor.display_name()}'s queue.",
        code="already_queued",
        extra={"existing_id": existing.pk} if existing else {},
    )


def lock_entry(entry_id: int) -> QueueEntry:
    entry = QueueEntry.objects.select_for_update().filter(pk=entry_id).select_related("doctor").first()
    if entry is None:
        raise NotFound(f"There is no queue entry {entry_id}.", code="not_found")
    return entry


def _move_entry(entry: QueueEntry, to: str) -> None:
    check_transition(QueueEntry.TRANSITIONS, entry.status, to, what="queue entry")
    entry.status = to
    now = timezone.now()
    if to == Q.IN_CONSULTATION and entry.started_at is None:
        entry.started_at = now
    if to in (Q.COMPLETED, Q.CANCELLED):
        entry.finished_at = now


@transaction.atomic
def queue_update(
    *, by: User | None, entry_id: int, status: str | None = None, priority: str | None = None
) -> QueueEntry:
    """Move a queue entry (its doctor or an admin) and/or change its priority (also volunteers)."""
    entry = lock_entry(entry_id)
    if status is not None and status != entry.status:
        if by is not None and not by.has_role(ADMIN, DOCTOR):
            raise Forbidden("Only the doctor moves a queue entry.", code="permission_denied")
        ensure_own(by, entry.doctor, "queue entry")
    elif by is not None and by.has_role(DOCTOR) and not by.has_role(ADMIN, "volunteer"):
        ensure_own(by, entry.doctor, "queue entry")
    if entry.status not in QueueEntry.OPEN:
        raise Conflict(
            f"This queue entry is {entry.status}; it cannot change.",
            code="invalid_transition",
            extra={"from": entry.status, "to": status or entry.status},
        )
    old_status, old_priority = entry.status, entry.priority
    if priority is not None:
        check_transition(QueueEntry.PRIORITY_TRANSITIONS, entry.priority, priority, what="queue priority")
        entry.priority = priority
    if status is not None:
        _move_entry(entry, status)
    visit = lock_visit(entry.visit_id)
    entry.visit = visit
    _note_entry_change(by, entry, old_status, old_priority)
    entry.save()
    if entry.status != old_status:
        visit_follow_queue(by=by, visit=visit)
    return entry


def _note_entry_change(by: User | None, entry: QueueEntry, old_status: str, old_priority: str) -> None:
    token = entry.visit.token_number
    parts = []
    if entry.priority != old_priority:
        parts.append(f"from {old_priority} to {entry.priority}")
    if entry.status != old_status:
        parts.append(f"from {old_status} to {entry.status}")
    if entry.priority != old_priority and entry.status == old_status:
        event = "queue.priority_changed"
    elif entry.status != old_status and entry.priority == old_priority:
        event = "queue.status_changed"
    else:
        event = "queue.updated"
    audit_note(
        entry,
        by=by,
        event=event,
        message=f"{_who(by)} moved token {token} " + " and ".join(parts),
        details={"doctor": person(entry.doctor), "token_number": token},
    )


# --- consultations ----------------------------------------------------------------------------
CLINICAL_FIELDS = ("chief_complaint", "diagnosis", "advice", "counselling_status", "counselling_notes")


@transaction.atomic
def consultation_open(*, by: User | None, queue_entry_id: int, **fields: Any) -> Consultation:
    """The doctor takes the patient: the entry goes to in_consultation and a consultation opens."""
    entry = lock_entry(queue_entry_id)
    ensure_own(by, entry.doctor, "queue entry")
    if entry.status not in QueueEntry.OPEN:
        raise Conflict(
            f"This queue entry is {entry.status}.",
            code="invalid_transition",
            extra={"from": entry.status, "to": Q.IN_CONSULTATION},
        )
    existing = Consultation.objects.filter(visit_id=entry.visit_id, doctor=entry.doctor).first()
    if existing is not None:
        raise Conflict(
            "This doctor already has a consultation for this visit.",
            code="consultation_exists",
            extra={"existing_id": existing.pk},
        )
    visit = lock_visit(entry.visit_id)
    entry.visit = visit
    if entry.status == Q.WAITING:
        old = entry.status
        _move_entry(entry, Q.IN_CONSULTATION)
        _note_entry_change(by, entry, old, entry.priority)
        entry.save()
    consultation = Consultation(visit=visit, doctor=entry.doctor, queue_entry=entry, **fields)
    audit_note(
        consultation,
        by=by,
        event="consultation.opened",
        message=f"{entry.doctor.display_name()} began consulting token {visit.token_number}",
    )
    consultation.save()
    visit_follow_queue(by=by, visit=visit)
    _sync_counselling(by=by, visit=visit)
    return consultation


def lock_consultation(consultation_id: int) -> Consultation:
    found = (
        Consultation.objects.select_for_update().select_related("visit", "doctor").filter(pk=consultation_id).first()
    )
    if found is None:
        raise NotFound(f"There is no consultation {consultation_id}.", code="not_found")
    return found


@transaction.atomic
def consultation_update(*, by: User | None, consultation_id: int, **changes: Any) -> Consultation:
    """The consulting doctor records complaint, diagnosis, advice and whether counselling is needed."""
    consultation = lock_consultation(consultation_id)
    ensure_own(by, consultation.doctor, "consultation")
    for name, value in changes.items():
        setattr(consultation, name, value)
    audit_note(consultation, by=by)
    consultation.save()
    if "counselling_status" in changes:
        _sync_counselling(by=by, visit=lock_visit(consultation.visit_id))
    return consultation


@transaction.atomic
def consultation_counsel(
    *, by: User | None, consultation_id: int, counselling_status: str, counselling_notes: str | None = None
) -> Consultation:
    """A counsellor marks counselling pending or done, with notes."""
    consultation = lock_consultation(consultation_id)
    if by is not None and not by.has_role(ADMIN, COUNSELLOR, DOCTOR):
        raise Forbidden("Only counsellors record counselling.", code="permission_denied")
    consultation.counselling_status = counselling_status
    if counselling_notes is not None:
        consultation.counselling_notes = counselling_notes
    audit_note(
        consultation,
        by=by,
        event="consultation.counselling_updated",
        message=f"{_who(by)} set counselling of token {consultation.visit.token_number} to {counselling_status}",
    )
    consultation.save()
    _sync_counselling(by=by, visit=lock_visit(consultation.visit_id))
    return consultation


def _sync_counselling(*, by: User | None, visit: Visit) -> None:
    statuses = set(Consultation.objects.filter(visit=visit).values_list("counselling_status", flat=True))
    C = Visit.Counselling
    target = C.PENDING if C.PENDING in statuses else C.DONE if C.DONE in statuses else C.NOT_REQUIRED
    if visit.counselling != target:
        visit.counselling = target
        audit_note(
            visit,
            by=by,
            event="visit.counselling_changed",
            message=f"counselling of token {visit.token_number} is now {target}",
        )
        visit.save()


# --- prescriptions ----------------------------------------------------------------------------
def prescription_details(prescription: Prescription) -> dict[str, Any]:
    """Medicine id, name, type, formulation, quantity; days and time slots when given."""
    medicine = prescription.medicine
    details: dict[str, Any] = {
        "medicine_id": medicine.pk,
        "medicine": medicine.name,
        "type": medicine.type,
        "formulation": medicine.formulation,
        "quantity": prescription.quantity,
    }
    if prescription.days:
        details["days"] = prescription.days
    if prescription.time_slots:
        details["time_slots"] = list(prescription.time_slots)
    if prescription.instructions:
        details["instructions"] = prescription.instructions
    return details


def _active_medicine(medicine_id: int) -> Medicine:
    medicine = Medicine.objects.filter(pk=medicine_id, active=True).first()
    if medicine is None:
        raise DomainError(
            "Choose a medicine from the catalogue.",
            code="invalid",
            fields={"medicine": [f"Medicine {medicine_id} does not exist or is not in use."]},
        )
    return medicine


@transaction.atomic
def prescription_create(*, by: User | None, consultation_id: int, medicine_id: int, **fields: Any) -> Prescription:
    """Prescribe a medicine in the doctor's own consultation."""
    consultation = lock_consultation(consultation_id)
    ensure_own(by, consultation.doctor, "consultation")
    if consultation.visit.status in CLOSED_VISIT:
        raise Conflict(f"Visit {consultation.visit_id} is {consultation.visit.status}.", code="visit_closed")
    prescription = Prescription(
        consultation=consultation, medicine=_active_medicine(medicine_id), created_by=by, **fields
    )
    _save_prescription(prescription, by, "prescription.created")
    return prescription


def _save_prescription(prescription: Prescription, by: User | None, event: str, **extra: Any) -> None:
    medicine = prescription.medicine
    audit_note(
        prescription,
        by=by,
        event=event,
        message=f"{_who(by)} prescribed {prescription.quantity} x {medicine} "
        f"for token {prescription.consultation.visit.token_number}",
        details={**prescription_details(prescription), **extra},
    )
    prescription.save()


def lock_prescription(prescription_id: int) -> Prescription:
    found = (
        Prescription.objects.select_for_update()
        .select_related("consultation__visit", "consultation__doctor", "medicine")
        .filter(pk=prescription_id)
        .first()
    )
    if found is None:
        raise NotFound(f"There is no prescription {prescription_id}.", code="not_found")
    return found


def ensure_editable(prescription: Prescription) -> None:
    """A dispensed (even partly), replaced or deleted prescription is final."""
    if prescription.status == Prescription.Status.ACTIVE and prescription.quantity_dispensed == 0:
        return
    status = Prescription.Status.DISPENSED if prescription.quantity_dispensed else prescription.status
    raise Conflict(
        f"This prescription is {status}; it cannot be changed.",
        code=f"prescription_{status}",
        extra={"status": prescription.status},
    )


@transaction.atomic
def prescription_update(*, by: User | None, prescription_id: int, **changes: Any) -> Prescription:
    """Change a prescription; a different medicine replaces it (the old one is kept as `replaced`)."""
    old = lock_prescription(prescription_id)
    ensure_own(by, old.consultation.doctor, "prescription")
    ensure_editable(old)
    medicine_id = changes.pop("medicine", None)
    if medicine_id is not None and medicine_id != old.medicine_id:
        return _replace(by, old, _active_medicine(medicine_id), changes)
    for name, value in changes.items():
        setattr(old, name, value)
    audit_note(old, by=by, event="prescription.updated", details=prescription_details(old))
    old.save()
    return old


def _replace(by: User | None, old: Prescription, medicine: Medicine, changes: dict[str, Any]) -> Prescription:
    kept = {name: getattr(old, name) for name in ("quantity", "days", "time_slots", "instructions")}
    old.status = Prescription.Status.REPLACED
    audit_note(
        old,
        by=by,
        event="prescription.replaced",
        message=f"{_who(by)} replaced {old.medicine} with {medicine} in prescription {old.pk}",
        details={**prescription_details(old), "new_medicine_id": medicine.pk, "new_medicine": medicine.name},
    )
    old.save()
    new = Prescription(
        consultation=old.consultation, medicine=medicine, replaces=old, created_by=by, **{**kept, **changes}
    )
    _save_prescription(new, by, "prescription.created", replaces=old.pk)
    return new


@transaction.atomic
def prescription_delete(*, by: User | None, prescription_id: int) -> Prescription:
    """Withdraw a prescription; it is kept with status `deleted`, never erased."""
    prescription = lock_prescription(prescription_id)
    ensure_own(by, prescription.consultation.doctor, "prescription")
    ensure_editable(prescription)
    prescription.status = Prescription.Status.DELETED
    audit_note(
        prescription,
        by=by,
        event="prescription.deleted",
        action="delete",
        details=prescription_details(prescription),
        message=f"{_who(by)} withdrew prescription {prescription.pk} ({prescription.medicine})",
    )
    prescription.save()
    return prescription
