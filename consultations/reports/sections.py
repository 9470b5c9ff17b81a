"""Every table of a report, computed in the database from the records (never from the audit log).

Twelve queries whatever the number of camps and visits (tests/reports/test_queries.py counts
them at two sizes): the camps; the visits grouped by camp (attendance, screening); the
returning visits and the visits served, by camp; the visits by age band and sex; the
diagnoses; the prescriptions by camp and medicine; the stock movements by medicine; the
medicines' names; the flow times; the doctors; their names. Percentiles are the database's
(core.stats). Thresholds are patients.flags', the same as the consultation page's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Lower, Trim

from consultations.models import Consultation, Prescription, QueueEntry
from consultations.reports.scope import Scope
from consultations.reports.table import Table
from consultations.reports.table import totals as _totals
from core.stats import Minutes, Percentile
from core.text import fold
from patients.flags import SCREENING
from patients.models import Patient, Visit
from pharmacy.models import Medicine, StockMovement

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-4", 0, 4),
    ("5-14", 5, 14),
    ("15-29", 15, 29),
    ("30-44", 30, 44),
    ("45-59", 45, 59),
    ("60+", 60, None),
)
UNKNOWN_AGE = "unknown"
SEXES = tuple(Patient.Sex)
# A diagnosis field may list several conditions: "hypertension, type 2 diabetes" counts each.
DIAGNOSIS_SEPARATORS = re.compile(r"[,;\n]+")
STAGES = (
    ("Registration to vitals", "vitals_at"),
    ("Registration to the consultation's start", "consultation_started_at"),
    ("Registration to pickup", "dispensed_at"),
)


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def build(scope: Scope) -> list[Table]:
    """All tables of the report of `scope`, in the order a reader meets them."""
    camps = list(scope.camps().order_by("date", "id"))
    camp_ids = scope.camps().values("pk")
    visits = Visit.objects.filter(camp__in=camp_ids)
    prescriptions = Prescription.objects.filter(consultation__visit__camp__in=camp_ids)
    per_camp = _per_camp(visits, prescriptions)
    tables = [
        _attendance(camps, per_camp),
        _age_sex(visits),
        _new_returning(per_camp),
        _screening(camps, per_camp),
        _diagnoses(Consultation.objects.filter(visit__camp__in=camp_ids)),
    ]
    prescribed = _prescribed(prescriptions)
    tables += [_medicines(prescribed, scope), _medicines_by_camp(camps, prescribed, per_camp)]
    tables += _flow(visits, QueueEntry.objects.filter(visit__camp__in=camp_ids))
    return tables


def _per_camp(visits: QuerySet[Visit], prescriptions: QuerySet[Prescription]) -> dict[int, dict[str, Any]]:
    grouped = visits.values("camp_id").annotate(
        registered=Count("id"),
        seen=Count("id", filter=Q(consultation_started_at__isnull=False)),
        dispensed=Count("id", filter=Q(dispensed_at__isnull=False)),
        completed=Count("id", filter=Q(status=Visit.Status.COMPLETED)),
        cancelled=Count("id", filter=Q(status=Visit.Status.CANCELLED)),
        screened=Count("vitals"),
        **{f"flag_{flag.name}": Count("id", filter=flag.where("vitals__")) for flag in SCREENING},
    )
    found = {row["camp_id"]: row for row in grouped.order_by()}
    # Returning visits and visits served are counted by joins in queries of their own: as a
    # subquery inside the counts above, PostgreSQL runs them once per visit when they outgrow
    # work_mem (a correlated EXISTS took 1.5 s of a 200,000-visit range; bench/report_scale.py).
    returning = visits.filter(patient__visits__camp__date__lt=F("camp__date")).values("camp_id")
    served = prescriptions.filter(quantity_dispensed__gt=0).values(camp_id=F("consultation__visit__camp_id"))
    for key, joined, visit in (("returning", returning, "id"), ("served", served, "consultation__visit_id")):
        for row in joined.annotate(n=Count(visit, distinct=True)).order_by():
            found.setdefault(row["camp_id"], {})[key] = row["n"]
    return found


def _camp_cells(camp: Any) -> list[Any]:
    return [camp.name, camp.date.isoformat(), camp.location]


def _attendance(camps: list[Any], per_camp: dict[int, dict[str, Any]]) -> Table:
    keys = ("registered", "seen", "dispensed", "completed", "cancelled")
    rows = []
    for camp in camps:
        counts = per_camp.get(camp.pk, {})
        rows.append(
            [
                *_camp_cells(camp),
                camp.expected_patients,
                *(counts.get(k, 0) for k in keys),
                camp.attended_patients,
            ]
        )
    columns = ["Camp", "Date", "Location", "Expected", "Registered", "Seen by a doctor", "Dispensed"]
    columns += ["Completed", "Cancelled", "Headcount recorded"]
    return Table("attendance", "Attendance", columns, rows, _totals(rows, 3), numeric_from=3)


def _age_sex(visits: QuerySet[Visit]) -> Table:
    bands = [
        When(patient__age_years__gte=low, then=Value(label))
        if high is None
        else When(patient__age_years__gte=low, patient__age_years__lte=high, then=Value(label))
        for label, low, high in AGE_BANDS
    ]
    grouped = visits.values(band=Case(*bands, default=Value(UNKNOWN_AGE)), sex=F("patient__sex"))
    counts = {(row["band"], row["sex"]): row["n"] for row in grouped.annotate(n=Count("id")).order_by()}
    rows = []
    for label in (*(band[0] for band in AGE_BANDS), UNKNOWN_AGE):
        cells = [counts.get((label, sex.value), 0) for sex in SEXES]
        rows.append([label, *cells, sum(cells)])
    columns = ["Age band (years)", *(str(sex.label) for sex in SEXES), "All"]
    note = "Each visit counts once: a patient at two camps of a range counts at both."
    return Table("age_sex", "Patients by age band and sex", columns, rows, _totals(rows, 1), note)


def _new_returning(per_camp: dict[int, dict[str, Any]]) -> Table:
    registered = sum(row.get("registered", 0) for row in per_camp.values())
    returning = sum(row.get("returning", 0) for row in per_camp.values())
    rows = [["New", registered - returning], ["Returning", returning]]
    note = "Returning: the patient had a visit at a camp held on an earlier date."
    return Table("new_returning", "New and returning patients", ["Patients", "Visits"], rows, _totals(rows, 1), note)


def _screening(camps: list[Any], per_camp: dict[int, dict[str, Any]]) -> Table:
    rows = []
    for camp in camps:
        counts = per_camp.get(camp.pk, {})
        flags = [counts.get(f"flag_{flag.name}", 0) for flag in SCREENING]
        rows.append([*_camp_cells(camp), counts.get("screened", 0), *flags])
    columns = ["Camp", "Date", "Location", "Vitals recorded", *(flag.words for flag in SCREENING)]
    note = "Screening findings prompt a doctor; they are not diagnoses. BMI needs weight and height."
    return Table("screening", "Screening findings from vitals", columns, rows, _totals(rows, 3), note, 3)


def _diagnoses(consultations: QuerySet[Consultation]) -> Table:
    written = consultations.exclude(diagnosis="").values(text=Lower(Trim("diagnosis"))).annotate(n=Count("id"))
    counted: Counter[str] = Counter()
    for row in written.order_by():
        parts = {" ".join(fold(part).split()) for part in DIAGNOSIS_SEPARATORS.split(row["text"])}
        for part in parts - {""}:
            counted[part] += row["n"]
    rows = [[name, n] for name, n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]
    note = "Grouped ignoring case and spaces; a consultation listing several conditions counts each once."
    return Table("diagnoses", "Diagnoses", ["Diagnosis", "Consultations"], rows, _totals(rows, 1), note)


def _medicine_name(row: Mapping[str, Any]) -> str:
    return f"{row['name']} {row['formulation']} ({row['type']})"


def _prescribed(prescriptions: QuerySet[Prescription]) -> dict[tuple[int, int], dict[str, int]]:
    """By (camp, medicine): units prescribed (replaced and deleted lines aside), units dispensed,
    and visits served (handed some of it). Grouped by ids only: no names to sort."""
    live = ~Q(status__in=[Prescription.Status.REPLACED, Prescription.Status.DELETED])
    grouped = prescriptions.values("medicine_id", camp=F("consultation__visit__camp_id")).annotate(
        prescribed=Coalesce(Sum("quantity", filter=live), 0),
        handed=Coalesce(Sum("quantity_dispensed"), 0),
        served=Count("consultation__visit_id", distinct=True, filter=Q(quantity_dispensed__gt=0)),
    )
    return {(row["camp"], row["medicine_id"]): row for row in grouped.order_by()}


def _medicines(prescribed: dict[tuple[int, int], dict[str, int]], scope: Scope) -> Table:
    period = Q(at__gte=scope.start)
    moved = {
        row["medicine"]: row
        for row in StockMovement.objects.filter(at__lt=scope.end)
        .values(medicine=F("batch__medicine_id"))
        .annotate(
            at_start=Coalesce(Sum("quantity", filter=Q(at__lt=scope.start)), 0),
            at_end=Coalesce(Sum("quantity"), 0),
            **{kind: Coalesce(Sum("quantity", filter=period & Q(kind=kind)), 0) for kind in StockMovement.Kind.values},
        )
        .order_by()
    }
    cells: dict[int, list[int]] = {}
    for (_, medicine), row in prescribed.items():
        sums = cells.setdefault(medicine, [0, 0, 0])
        for i, key in enumerate(("prescribed", "handed", "served")):
            sums[i] += row[key]
    wanted = set(cells) | set(moved)
    names = {row["id"]: _medicine_name(row) for row in Medicine.objects.filter(pk__in=wanted).values()}
    rows = []
    for pk in sorted(wanted, key=lambda pk: (names[pk].lower(), pk)):
        stock = moved.get(pk)
        flows = [0] * 6
        if stock is not None:  # out of stock is negative in the movements: shown as a count
            flows = [stock["at_start"], stock["received"], -stock["dispensed"], stock["adjusted"], -stock["expired"]]
            flows.append(stock["at_end"])
        rows.append([names[pk], *cells.get(pk, [0, 0, 0]), *flows])
    columns = ["Medicine", "Units prescribed", "Units dispensed", "Patients served", "Stock at start", "Received"]
    columns += ["Dispensed from stock", "Adjusted (+/-)", "Expired", "Stock at end"]
    note = (
        "Prescribed, dispensed and patients served: this report's camps (a patient served at two camps "
        "counts at both). Stock: the pharmacy's, over "
        f"{scope.start:%d %b %Y %H:%M} to {scope.end:%d %b %Y %H:%M} ({scope.start:%Z}), every camp it served."
    )
    return Table("medicines", "Medicines", columns, rows, _totals(rows, 1), note)


def _medicines_by_camp(
    camps: list[Any], prescribed: dict[tuple[int, int], dict[str, int]], per_camp: dict[int, dict[str, Any]]
) -> Table:
    units: dict[int, list[int]] = {}
    for (camp, _), row in prescribed.items():
        sums = units.setdefault(camp, [0, 0])
        sums[0] += row["prescribed"]
        sums[1] += row["handed"]
    rows = []
    for camp in camps:
        served = per_camp.get(camp.pk, {}).get("served", 0)
        rows.append([*_camp_cells(camp), *units.get(camp.pk, [0, 0]), served])
    columns = ["Camp", "Date", "Location", "Units prescribed", "Units dispensed", "Patients served"]
    return Table("medicines_by_camp", "Medicines by camp", columns, rows, _totals(rows, 3), numeric_from=3)


def _flow(visits: QuerySet[Visit], entries: QuerySet[QueueEntry]) -> list[Table]:
    measures: dict[str, Any] = {}
    for _, stage in STAGES:
        took = Minutes("registered_at", stage)
        measures |= {f"{stage}_n": Count(stage), f"{stage}_p50": Percentile(took, 0.5)}
        measures[f"{stage}_p90"] = Percentile(took, 0.9)
    asked = Q(counselling__in=[Visit.Counselling.PENDING, Visit.Counselling.DONE])
    measures |= {"asked": Count("id", filter=asked), "done": Count("id", filter=Q(counselling="done"))}
    figures = visits.aggregate(**measures)
    rows = [
        [words, figures[f"{stage}_n"], _minutes(figures[f"{stage}_p50"]), _minutes(figures[f"{stage}_p90"])]
        for words, stage in STAGES
    ]
    flow = Table(
        "flow", "Waiting times (minutes)", ["From registration", "Patients", "Median", "90th percentile"], rows
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
    by_doctor = [[f"Dr {names[row['doctor_id']]}", row["seen"], _minutes(row["median"])] for row in found]
    by_doctor.sort(key=lambda row: (-row[1], row[0]))
    totals = ["All doctors", sum(row[1] for row in by_doctor), None]
    columns = ["Doctor", "Patients seen", "Median consultation (minutes)"]
    doctor_table = Table("doctors", "Patients seen per doctor", columns, by_doctor, totals)
    counselling = Table(
        "counselling",
        "Counselling",
        ["Counselling", "Visits"],
        [["Asked for", figures["asked"]], ["Done", figures["done"]]],
    )
    return [flow, doctor_table, counselling]
