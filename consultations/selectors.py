"""Reads that are more than a queryset: the queue views and the full visit."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit

_RANK = Case(
    *[When(priority=p, then=Value(rank)) for p, rank in QueueEntry.PRIORITY_RANK.items()],
    output_field=IntegerField(),
)


def queue_entries() -> QuerySet[QueueEntry]:
    return QueueEntry.objects.select_related("visit__patient", "doctor").annotate(rank=_RANK)


def doctor_queue(doctor_id: int) -> QuerySet[QueueEntry]:
    """A doctor's open entries: priority (emergency first), then arrival."""
    return queue_entries().filter(doctor_id=doctor_id, status__in=QueueEntry.OPEN).order_by("rank", "queued_at", "id")


def patient_queue(patient_id: int) -> QuerySet[QueueEntry]:
    return queue_entries().filter(visit__patient_id=patient_id).order_by("-queued_at", "-id")


def all_queues() -> QuerySet[QueueEntry]:
    return queue_entries().filter(status__in=QueueEntry.OPEN).order_by("doctor_id", "rank", "queued_at", "id")


def counts_by_doctor(entries: list[QueueEntry]) -> list[dict[str, Any]]:
    counts: dict[int, dict[str, Any]] = {}
    for entry in entries:
        row = counts.setdefault(
            entry.doctor_id,
            {
                "doctor": entry.doctor_id,
                "name": entry.doctor.display_name(),
                "waiting": 0,
                "in_consultation": 0,
                "total": 0,
            },
        )
        if entry.status in row:
            row[entry.status] += 1
        row["total"] += 1
    return sorted(counts.values(), key=lambda row: row["name"])


def consultations_of_patient(patient_id: int) -> QuerySet[Consultation]:
    prescriptions = Prescription.objects.select_related("medicine")
    return (
        Consultation.objects.filter(visit__patient_id=patient_id)
        .select_related("doctor", "visit")
        .prefetch_related(Prefetch("prescriptions", queryset=prescriptions))
        .order_by("-created_at", "-id")
    )


def full_visit() -> QuerySet[Visit]:
    prescriptions = Prescription.objects.select_related("medicine").prefetch_related("dispenses__movement__batch")
    return Visit.objects.select_related("camp", "vitals").prefetch_related(
        Prefetch("queue_entries", queryset=QueueEntry.objects.select_related("visit__patient", "doctor")),
        Prefetch(
            "consultations",
            queryset=Consultation.objects.select_related("doctor").prefetch_related(
                Prefetch("prescriptions", queryset=prescriptions)
            ),
        ),
    )
