"""Prescriptions: written in the doctor's own consultation, never erased, final once handed over."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import event_types as E
from audit.events import actor_name
from audit.history import audited_save
from consultations.models import Prescription
from consultations.services.consultation import lock_consultation
from consultations.services.rules import ensure_own
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, one_or_404
from core.languages import english
from patients.models import Visit
from patients.services import CLOSED_VISIT
from pharmacy.models import Medicine
from pharmacy.selectors import active_medicine


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


def _medicine(medicine_id: int) -> Medicine:
    medicine = active_medicine(medicine_id)
    if medicine is None:
        raise DomainError(
            _("Choose a medicine from the catalogue."),
            params={"id": medicine_id},
            code=ErrorCode.INVALID,
            fields={"medicine": [_("Medicine %(id)s does not exist or is not in use.")]},
        )
    return medicine


@transaction.atomic
def prescription_create(*, by: User | None, consultation_id: int, medicine_id: int, **fields: Any) -> Prescription:
    """Prescribe a medicine in the doctor's own consultation."""
    consultation = lock_consultation(consultation_id, subject=True)
    ensure_own(by, consultation.doctor, "consultation")
    if consultation.visit.status in CLOSED_VISIT:
        raise Conflict(
            _("Visit %(visit)s is %(status)s."),
            params={"visit": consultation.visit_id, "status": Visit.Status(consultation.visit.status).label},
            code=ErrorCode.VISIT_CLOSED,
        )
    prescription = Prescription(consultation=consultation, medicine=_medicine(medicine_id), created_by=by, **fields)
    _save_new(prescription, by)
    return prescription


def _save_new(prescription: Prescription, by: User | None, **extra: Any) -> None:
    message = (
        f"{actor_name(by)} prescribed {prescription.quantity} x {prescription.medicine} "
        f"for token {prescription.consultation.visit.token_number}"
    )
    details = {**prescription_details(prescription), **extra}
    audited_save(prescription, by=by, event=E.PRESCRIPTION_CREATED, message=message, details=details)


def lock_prescription(prescription_id: int) -> Prescription:
    """The prescription with its consultation, visit, doctor and medicine, locked."""
    prescriptions = Prescription.objects.select_for_update().select_related(
        "consultation__visit", "consultation__doctor", "medicine"
    )
    return one_or_404(prescriptions, prescription_id)


def ensure_editable(prescription: Prescription) -> None:
    """A dispensed (even partly), replaced or deleted prescription is final."""
    if prescription.status == Prescription.Status.ACTIVE and prescription.quantity_dispensed == 0:
        return
    status = Prescription.Status.DISPENSED if prescription.quantity_dispensed else prescription.status
    raise Conflict(
        _("This prescription is %(status)s; it cannot be changed."),
        params={"status": Prescription.Status(status).label},
        code=Prescription.FINAL_CODES[status],
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
        return _replace(by, old, _medicine(medicine_id), changes)
    for name, value in changes.items():
        setattr(old, name, value)
    audited_save(old, by=by, event=E.PRESCRIPTION_UPDATED, details=prescription_details(old))
    return old


def _replace(by: User | None, old: Prescription, medicine: Medicine, changes: dict[str, Any]) -> Prescription:
    kept = {name: getattr(old, name) for name in ("quantity", "days", "time_slots", "instructions")}
    old.status = Prescription.Status.REPLACED
    audited_save(
        old,
        by=by,
        event=E.PRESCRIPTION_REPLACED,
        message=f"{actor_name(by)} replaced {english(old.medicine)} with {english(medicine)} in prescription {old.pk}",
        details={**prescription_details(old), "new_medicine_id": medicine.pk, "new_medicine": medicine.name},
    )
    new = Prescription(
        consultation=old.consultation, medicine=medicine, replaces=old, created_by=by, **{**kept, **changes}
    )
    _save_new(new, by, replaces=old.pk)
    return new


@transaction.atomic
def prescription_delete(*, by: User | None, prescription_id: int) -> Prescription:
    """Withdraw a prescription; it is kept with status `deleted`, never erased."""
    prescription = lock_prescription(prescription_id)
    ensure_own(by, prescription.consultation.doctor, "prescription")
    ensure_editable(prescription)
    prescription.status = Prescription.Status.DELETED
    audited_save(
        prescription,
        by=by,
        event=E.PRESCRIPTION_DELETED,
        details=prescription_details(prescription),
        message=f"{actor_name(by)} withdrew prescription {prescription.pk} ({english(prescription.medicine)})",
    )
    return prescription
