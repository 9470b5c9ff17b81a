"""Writes of patients, visits and vitals. Each is one transaction and says what happened."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import event_types as E
from audit.events import actor_name
from audit.history import audited, audited_save
from camps.models import MedicalCamp
from camps.services import camp_next_token
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, NotFound, about, one_locked, one_or_404
from core.statemachine import check_transition
from patients.models import Patient, Visit, Vitals

CLOSED_VISIT = (Visit.Status.COMPLETED, Visit.Status.CANCELLED)


def normalize_book_no(book_no: str) -> str:
    return " ".join(book_no.split()).upper()


def _duplicate_patient(book_no: str, existing_id: int | None) -> Conflict:
    return Conflict(
        _("Book number %(book_no)s already belongs to patient %(id)s."),
        params={"book_no": book_no, "id": existing_id},
        code=ErrorCode.DUPLICATE_PATIENT,
        extra={"existing_id": existing_id},
    )


def _save_unique_book_no(patient: Patient, by: User | None) -> None:
    try:
        with transaction.atomic(), audited(patient, by=by):
            patient.save()
    except IntegrityError:
        existing = Patient.objects.filter(book_no=patient.book_no).values_list("pk", flat=True).first()
        raise _duplicate_patient(patient.book_no, existing) from None


@transaction.atomic
def patient_create(*, by: User | None, book_no: str, **fields: Any) -> Patient:
    """Register a new patient; a book number already in use is a 409."""
    book_no = normalize_book_no(book_no)
    existing = Patient.objects.filter(book_no=book_no).values_list("pk", flat=True).first()
    if existing is not None:
        raise _duplicate_patient(book_no, existing)
    patient = Patient(book_no=book_no, **fields)
    _save_unique_book_no(patient, by)
    return patient


@transaction.atomic
def patient_update(*, by: User | None, patient_id: int, loaded: Patient | None = None, **changes: Any) -> Patient:
    """Change a patient's details; the event carries the changed fields only."""
    patient = one_locked(Patient.objects, patient_id, loaded=loaded)
    if "book_no" in changes:
        changes["book_no"] = normalize_book_no(changes["book_no"])
    for name, value in changes.items():
        setattr(patient, name, value)
    with about(patient):
        _save_unique_book_no(patient, by)
    return patient


@transaction.atomic
def visit_register(*, by: User | None, patient_id: int, camp_id: int, loaded: Patient | None = None) -> Visit:
    """Register a patient for a camp with the camp's next token number (`loaded`: the patient, if at hand)."""
    patient = loaded if loaded is not None and loaded.pk == patient_id else one_or_404(Patient.objects, patient_id)
    camp = MedicalCamp.objects.filter(pk=camp_id).first()
    if camp is None:
        raise NotFound(_("There is no camp %(id)s."), params={"id": camp_id}, code=ErrorCode.CAMP_NOT_FOUND)
    if camp.status == MedicalCamp.Status.CLOSED:
        raise Conflict(_("Camp “%(camp)s” is closed."), params={"camp": camp.name}, code=ErrorCode.CAMP_CLOSED)
    existing = Visit.objects.filter(patient=patient, camp=camp).first()
    if existing is not None:
        raise _duplicate_visit(patient, camp, existing)
    token = camp_next_token(camp_id=camp.pk)
    visit = Visit(patient=patient, camp=camp, token_number=token, registered_by=by)
    who = actor_name(by)
    message = f"{who} registered {patient.book_no} for camp {camp.name!r} with token {token}"
    try:
        with (
            transaction.atomic(),
            audited(visit, by=by, event=E.VISIT_REGISTERED, message=message, details={"token_number": token}),
        ):
            visit.save()
    except IntegrityError:
        raise _duplicate_visit(patient, camp, Visit.objects.filter(patient=patient, camp=camp).first()) from None
    return visit


def _duplicate_visit(patient: Patient, camp: MedicalCamp, existing: Visit | None) -> Conflict:
    extra = {"existing_id": existing.pk, "token_number": existing.token_number} if existing else {}
    return Conflict(
        _("Patient %(book_no)s is already registered for camp “%(camp)s”."),
        params={"book_no": patient.book_no, "camp": camp.name},
        code=ErrorCode.DUPLICATE_VISIT,
        extra=extra,
    )


def visit_move(*, by: User | None, visit: Visit, to: str, reason: str = "") -> Visit:
    """Move a locked visit to another status through the transition table; stamps the stage time."""
    check_transition(Visit.TRANSITIONS, visit.status, to, what=_("visit"))
    if visit.status == to:
        return visit
    old = visit.status
    visit.status = to
    stamp = Visit.STAGE_TIMES.get(to)
    if stamp and getattr(visit, stamp) is None:
        setattr(visit, stamp, timezone.now())
    who = actor_name(by)
    message = f"{who} moved token {visit.token_number} from {old} to {to}" + (f" ({reason})" if reason else "")
    audited_save(visit, by=by, event=E.VISIT_STATUS_CHANGED, message=message)
    return visit


@transaction.atomic
def visit_set_status(*, by: User | None, visit_id: int, status: str, loaded: Visit | None = None) -> Visit:
    """Complete or cancel a visit by hand; other stages follow from the work done."""
    visit = lock_visit(visit_id, subject=True, loaded=loaded)
    with about(visit):
        return visit_move(by=by, visit=visit, to=status)


def visit_set_counselling(*, by: User | None, visit: Visit, counselling: str) -> Visit:
    """Set a locked visit's counselling flag (it follows its consultations)."""
    if visit.counselling != counselling:
        visit.counselling = counselling
        message = f"counselling of token {visit.token_number} is now {counselling}"
        audited_save(visit, by=by, event=E.VISIT_COUNSELLING_CHANGED, message=message)
    return visit


def lock_visit(visit_id: int, *, subject: bool = False, loaded: Visit | None = None) -> Visit:
    """The visit, locked; a missing one is the plain 404 when the URL names it (`subject`)."""
    missing = (
        None
        if subject
        else NotFound(_("There is no visit %(id)s."), params={"id": visit_id}, code=ErrorCode.VISIT_NOT_FOUND)
    )
    return one_locked(Visit.objects, visit_id, loaded=loaded, missing=missing)


def check_blood_pressure(systolic: int | None, diastolic: int | None) -> None:
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise DomainError(
            _("Diastolic pressure must be lower than systolic pressure."),
            params={"diastolic": diastolic, "systolic": systolic},
            code=ErrorCode.INVALID,
            fields={
                "bp_diastolic": [_("Diastolic (%(diastolic)s) must be lower than systolic (%(systolic)s); check both.")]
            },
        )


@transaction.atomic
def vitals_record(*, by: User | None, visit_id: int, loaded: Visit | None = None, **values: Any) -> Vitals:
    """Record a visit's vitals once; later changes are corrections."""
    visit = lock_visit(visit_id, subject=True, loaded=loaded)
    if visit.status in CLOSED_VISIT:
        raise Conflict(
            _("Visit %(visit)s is %(status)s."),
            params={"visit": visit.pk, "status": Visit.Status(visit.status).label},
            code=ErrorCode.VISIT_CLOSED,
        )
    existing = Vitals.objects.filter(visit=visit).values_list("pk", flat=True).first()
    if existing is not None:
        raise Conflict(
            _("Vitals are already recorded for this visit; correct them instead."),
            code=ErrorCode.VITALS_EXIST,
            extra={"existing_id": existing},
        )
    check_blood_pressure(values.get("bp_systolic"), values.get("bp_diastolic"))
    vitals = Vitals(visit=visit, recorded_by=by, **values)
    audited_save(vitals, by=by, event=E.VITALS_RECORDED)
    if visit.status == Visit.Status.REGISTERED:
        visit_move(by=by, visit=visit, to=Visit.Status.VITALS_RECORDED)
    return vitals


@transaction.atomic
def vitals_correct(*, by: User | None, vitals_id: int, loaded: Vitals | None = None, **changes: Any) -> Vitals:
    """Correct recorded vitals; the event carries old and new values of what changed."""
    vitals = one_locked(Vitals.objects.select_related("visit"), vitals_id, loaded=loaded)
    for name, value in changes.items():
        setattr(vitals, name, value)
    check_blood_pressure(vitals.bp_systolic, vitals.bp_diastolic)
    who = actor_name(by)
    audited_save(
        vitals, by=by, event=E.VITALS_CORRECTED, message=f"{who} corrected the vitals of visit {vitals.visit_id}"
    )
    return vitals
