"""The report's flow through the day: waiting times from registration, patients seen per doctor
with their median consultation, and counselling asked for and done."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consultations.models import QueueEntry
from consultations.reports.table import Table
from core.stats import Minutes, Percentile
from patients.models import Visit

STAGES = (
    (_("Registration to vitals"), "vitals_at"),
    (_("Registration to the consultation's start"), "consultation_started_at"),
    (_("Registration to pickup"), "dispensed_at"),
)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def tables(visits: QuerySet[Visit], entries: QuerySet[QueueEntry]) -> list[Table]:
    measures: dict[str, Any] = {}
    for _words, stage in STAGES:
        took = Minutes("registered_at", stage)
        measures |= {f"{stage}_n": Count(stage), f"{stage}_p50": Percentile(took, 0.5)}
        measures[f"{stage}_p90"] = Percentile(took, 0.9)
    asked = Q(counselling__in=[Visit.Counselling.PENDING, Visit.Counselling.DONE])
    measures |= {"asked": Count("id", filter=asked), "done": Count("id", filter=Q(counselling="done"))}
    figures = visits.aggregate(**measures)
    rows = [
        [str(words), figures[f"{stage}_n"], _minutes(figures[f"{stage}_p50"]), _minutes(figures[f"{stage}_p90"])]
        for words, stage in STAGES
    ]
    flow = Table(
        "flow",
        gettext("Waiting times (minutes)"),
        [gettext("From registration"), gettext("Patients"), gettext("Median"), gettext("90th percentile")],
        rows,
    )
    finished = Q(status=QueueEntry.Status.COMPLETED, started_at__isnull=False, finished_at__isnull=False)
    # Grouped by the doctor's id alone (names sorted with 170,000 rows cost a tenth of the query).
    doctors = entries.values("doctor_id").annotate(
        seen=Count("visit_id", distinct=True, filter=Q(started_at__isnull=False)),
        median=Percentile(Minutes("started_at", "finished_at"), 0.5, filter=finished),
    )
    found = list(doctors.order_by())
    names = {
        user.pk: user.display_name() for user in get_user_model().objects.filter(pk__in=[r["doctor_id"] for r in found])
    }
    by_doctor = [
        [gettext("Dr %(name)s") % {"name": names[row["doctor_id"]]}, row["seen"], _minutes(row["median"])]
        for row in found
    ]
    by_doctor.sort(key=lambda row: (-row[1], row[0]))
    totals = [gettext("All doctors"), sum(row[1] for row in by_doctor), None]
    columns = [gettext("Doctor"), gettext("Patients seen"), gettext("Median consultation (minutes)")]
    doctor_table = Table("doctors", gettext("Patients seen per doctor"), columns, by_doctor, totals)
    counselling = Table(
        "counselling",
        gettext("Counselling"),
        [gettext("Counselling"), gettext("Visits")],
        [[gettext("Asked for"), figures["asked"]], [gettext("Done"), figures["done"]]],
    )
    return [flow, doctor_table, counselling]
