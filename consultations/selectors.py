"""Reads of queues, consultations, prescriptions, whole visits and what a visit has to pick up."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects

from accounts.models import User
from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from pharmacy.selectors import stock_available

PRIORITY_ORDER = Case(  # emergency 0, urgent 1, normal 2: a queue's order
    *[When(priority=p, then=Value(rank)) for p, rank in QueueEntry.PRIORITY_RANK.items()],
    output_field=IntegerField(),
)


def queue_entries() -> QuerySet[QueueEntry]:
    return QueueEntry.objects.select_related("visit__patient", "doctor").annotate(rank=PRIORITY_ORDER)


def doctor_queue(doctor_id: int) -> QuerySet[QueueEntry]:
    """A doctor's open entries: priority (emergency first), then arrival."""
    return queue_entries().filter(doctor_id=doctor_id, status__in=QueueEntry.OPEN).order_by("rank", "queued_at", "id")


def patient_queue(patient_id: int) -> QuerySet[QueueEntry]:
    return queue_entries().filter(visit__patient_id=patient_id).order_by("-queued_at", "-id")


def all_queues() -> QuerySet[QueueEntry]:
    return queue_entries().filter(status__in=QueueEntry.OPEN).order_by("doctor_id", "rank", "queued_at", "id")


def counts_by_doctor(entries: QuerySet[QueueEntry]) -> list[dict[str, Any]]:
    """Per doctor over every entry of a queue list (two queries, whatever its length), by name."""
    S = QueueEntry.Status
    rows = (
        entries.order_by()
        .values("doctor_id")
        .annotate(
            waiting=Count("id", filter=Q(status=S.WAITING)),
            in_consultation=Count("id", filter=Q(status=S.IN_CONSULTATION)),
            total=Count("id"),
        )
    )
    by_id = {row.pop("doctor_id"): row for row in rows}
    names = {user.pk: user.display_name() for user in User.objects.filter(pk__in=by_id)}
    counts = [{"doctor": pk, "name": names[pk], **row} for pk, row in by_id.items()]
    return sorted(counts, key=lambda row: (row["name"], row["doctor"]))


def consultations_of_patient(patient_id: int) -> QuerySet[Consultation]:
    return consultations().filter(visit__patient_id=patient_id).order_by("-created_at", "-id")


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


def _prescriptions_with_medicine() -> Prefetch[Any]:
    return Prefetch("prescriptions", queryset=Prescription.objects.select_related("medicine"))


def consultations() -> QuerySet[Consultation]:
    """Consultations with their doctor and prescriptions."""
    return Consultation.objects.select_related("doctor", "visit").prefetch_related(_prescriptions_with_medicine())


def with_prescriptions(consultation: Consultation) -> Consultation:
    """A consultation a service returned, with its prescriptions loaded for its answer."""
    prefetch_related_objects([consultation], _prescriptions_with_medicine())
    return consultation


def prescriptions() -> QuerySet[Prescription]:
    return Prescription.objects.select_related("consultation__visit", "medicine")


def visits() -> QuerySet[Visit]:
    return Visit.objects.all()


def pickup_lines(visit: Visit) -> list[dict[str, Any]]:
    """What a visit has to pick up: prescriptions with what remains and the stock available."""
    P = Prescription.Status
    rows = list(
        Prescription.objects.filter(consultation__visit=visit)
        .exclude(status__in=[P.REPLACED, P.DELETED])
        .select_related("medicine", "consultation__doctor")
        .order_by("id")
    )
    stock = stock_available(sorted({p.medicine_id for p in rows}))
    return [_pickup_line(p, stock[p.medicine_id]) for p in rows]


def _pickup_line(p: Prescription, available: int) -> dict[str, Any]:
    medicine = p.medicine
    return {
        "prescription": p.pk,
        "status": p.status,
        "doctor": p.consultation.doctor.display_name(),
        "medicine": {
            "id": medicine.pk,
            "name": medicine.name,
            "type": medicine.type,
            "formulation": medicine.formulation,
            "unit": medicine.unit,
        },
        "quantity": p.quantity,
        "dispensed": p.quantity_dispensed,
        "remaining": p.remaining,
        "days": p.days,
        "time_slots": p.time_slots,
        "instructions": p.instructions,
        "stock_available": available,
        "enough_stock": available >= p.remaining,
    }


def left_to_hand_over(visit: Visit) -> bool:
    """Whether any active prescription of the visit still has a quantity to hand over (one query)."""
    active = Prescription.objects.filter(consultation__visit=visit, status=Prescription.Status.ACTIVE)
    return active.filter(quantity__gt=F("quantity_dispensed")).exists()
