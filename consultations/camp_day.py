"""Reads for the clinicians' pages in admin: the camp day at a glance, a visit's pickup, its slip.

Each function runs a fixed number of queries whatever the number of patients
(tests/admin/test_camp_day_pages.py asserts it at two sizes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Prefetch, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from camps.models import MedicalCamp
from consultations.models import Prescription, QueueEntry
from consultations.selectors import pickup_lines
from patients.models import Visit
from pharmacy.models import Medicine, StockBatch, form_label
from pharmacy.selectors import expiring_batches, first_batches, low_stock


def active_camp() -> MedicalCamp | None:
    """The camp running now: the latest active one."""
    return MedicalCamp.objects.filter(status=MedicalCamp.Status.ACTIVE).order_by("-date", "-id").first()


@dataclass
class CampDay:
    camp: MedicalCamp
    stages: list[tuple[str, int]]
    doctors: list[dict[str, Any]]
    low_stock: list[Medicine]
    expiring: list[StockBatch]
    hours: list[tuple[dt.datetime, int, int]]  # (hour, registrations, pickups)


def camp_day(camp: MedicalCamp) -> CampDay:
    """Patients at each stage, each doctor's queue, stock alerts, registrations and pickups per hour."""
    by_status = dict(stage_counts(camp))
    stages = [(str(label), by_status.get(value, 0)) for value, label in Visit.Status.choices]
    return CampDay(camp, stages, doctor_queues(camp), low_stock(), expiring_batches(), per_hour(camp))


def stage_counts(camp: MedicalCamp) -> list[tuple[str, int]]:
    """(status, visits) of the camp, statuses with none left out."""
    return list(Visit.objects.filter(camp=camp).values_list("status").annotate(n=Count("id")).order_by())


def doctor_queues(camp: MedicalCamp) -> list[dict[str, Any]]:
    waiting = Q(status=QueueEntry.Status.WAITING)
    rows = (
        QueueEntry.objects.filter(visit__camp=camp, status__in=QueueEntry.OPEN)
        .values("doctor_id", "doctor__username", "doctor__first_name", "doctor__last_name")
        .annotate(
            waiting=Count("id", filter=waiting),
            in_consultation=Count("id", filter=Q(status=QueueEntry.Status.IN_CONSULTATION)),
            oldest=Min("queued_at", filter=waiting),
        )
        .order_by("doctor__username")
    )
    out = []
    for row in rows:
        name = f"{row['doctor__first_name']} {row['doctor__last_name']}".strip() or row["doctor__username"]
        out.append({**row, "name": name, "longest_wait_minutes": minutes_since(row["oldest"])})
    return out


def minutes_since(moment: dt.datetime | None) -> int | None:
    """Whole minutes from `moment` to now (how long someone has waited); None for no moment."""
    return None if moment is None else int((timezone.now() - moment).total_seconds() // 60)


def per_hour(camp: MedicalCamp) -> list[tuple[dt.datetime, int, int]]:
    """Registrations and pickups (visits whose medicines were handed over) per local hour."""
    tz = timezone.get_current_timezone()
    visits = Visit.objects.filter(camp=camp)
    registered = dict(visits.annotate(h=TruncHour("registered_at", tzinfo=tz)).values_list("h").annotate(n=Count("id")))
    picked = dict(
        visits.filter(dispensed_at__isnull=False)
        .annotate(h=TruncHour("dispensed_at", tzinfo=tz))
        .values_list("h")
        .annotate(n=Count("id"))
    )
    hours = sorted(set(registered) | set(picked))
    if not hours:
        return []
    out, hour = [], hours[0]
    while hour <= hours[-1]:
        out.append((hour, registered.get(hour, 0), picked.get(hour, 0)))
        hour += dt.timedelta(hours=1)
    return out


# --- the pickup page -----------------------------------------------------------------------
def pickup_page(visit: Visit) -> list[dict[str, Any]]:
    """The pickup lines of a visit, each with the batch that would be used first."""
    lines = pickup_lines(visit)
    first = first_batches(sorted({line["medicine"]["id"] for line in lines}))
    return [
        {
            **line,
            "first_batch": first.get(line["medicine"]["id"]),
            "type_label": form_label(line["medicine"]["type"]),
            "slots_label": ", ".join(str(Prescription.Slot(slot).label).lower() for slot in line["time_slots"]),
        }
        for line in lines
    ]


def slip(visit_id: int) -> Visit | None:
    """A visit with everything its printed slip shows."""
    prescriptions = Prescription.objects.exclude(status__in=[Prescription.Status.REPLACED, Prescription.Status.DELETED])
    return (
        Visit.objects.select_related("camp", "patient", "vitals")
        .prefetch_related(
            Prefetch(
                "consultations__prescriptions",
                queryset=prescriptions.select_related("medicine").order_by("id"),
            ),
            "consultations__doctor",
        )
        .filter(pk=visit_id)
        .first()
    )
