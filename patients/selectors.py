"""Reads of patients, visits and vitals."""

from __future__ import annotations

from django.db.models import QuerySet

from patients.models import Patient, Visit, Vitals


def patients() -> QuerySet[Patient]:
    """Patients by name (the model's ordering), for search pages."""
    return Patient.objects.all()


def latest_visit(patient_id: int, camp_id: int | None = None) -> Visit | None:
    """The patient's visit to that camp, or to the latest camp when none is named."""
    visits = Visit.objects.filter(patient_id=patient_id).select_related("camp")
    if camp_id is not None:
        visits = visits.filter(camp_id=camp_id)
    return visits.order_by("-camp__date", "-registered_at").first()


def vitals_history(patient_id: int) -> QuerySet[Vitals]:
    """Every visit's vitals of a patient, newest first, with the camp."""
    return Vitals.objects.filter(visit__patient_id=patient_id).select_related("visit__camp").order_by("-recorded_at")


def visits() -> QuerySet[Visit]:
    return Visit.objects.all()


def vitals() -> QuerySet[Vitals]:
    return Vitals.objects.select_related("visit")
