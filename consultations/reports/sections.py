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

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Lower, Trim
from django.utils.formats import date_format
from django.utils.translation import gettext

from consultations.models import Consultation, Prescription, QueueEntry
from consultations.reports import flow
from consultations.reports.scope import Scope
from consultations.reports.table import Table
from consultations.reports.table import totals as _totals
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
    tables += flow.tables(visits, QueueEntry.objects.filter(visit__camp__in=camp_ids))
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
    columns = [
        gettext("Camp"),
        gettext("Date"),
        gettext("Location"),
        gettext("Expected"),
        gettext("Registered"),
        gettext("Seen by a doctor"),
        gettext("Dispensed"),
    ]
    columns += [gettext("Completed"), gettext("Cancelled"), gettext("Headcount recorded")]
    return Table("attendance", gettext("Attendance"), columns, rows, _totals(rows, 3), numeric_from=3)


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
        rows.append([gettext("unknown") if label == UNKNOWN_AGE else label, *cells, sum(cells)])
    columns = [gettext("Age band (years)"), *(str(sex.label) for sex in SEXES), gettext("All")]
    note = gettext("Each visit counts once: a patient at two camps of a range counts at both.")
    return Table("age_sex", gettext("Patients by age band and sex"), columns, rows, _totals(rows, 1), note)


def _new_returning(per_camp: dict[int, dict[str, Any]]) -> Table:
    registered = sum(row.get("registered", 0) for row in per_camp.values())
    returning = sum(row.get("returning", 0) for row in per_camp.values())
    rows = [[gettext("New"), registered - returning], [gettext("Returning"), returning]]
    note = gettext("Returning: the patient had a visit at a camp held on an earlier date.")
    return Table(
        "new_returning",
        gettext("New and returning patients"),
        [gettext("Patients"), gettext("Visits")],
        rows,
        _totals(rows, 1),
        note,
    )


def _screening(camps: list[Any], per_camp: dict[int, dict[str, Any]]) -> Table:
    rows = []
    for camp in camps:
        counts = per_camp.get(camp.pk, {})
        flags = [counts.get(f"flag_{flag.name}", 0) for flag in SCREENING]
        rows.append([*_camp_cells(camp), counts.get("screened", 0), *flags])
    columns = [
        gettext("Camp"),
        gettext("Date"),
        gettext("Location"),
        gettext("Vitals recorded"),
        *(str(flag.words) for flag in SCREENING),
    ]
    note = gettext("Screening findings prompt a doctor; they are not diagnoses. BMI needs weight and height.")
    return Table("screening", gettext("Screening findings from vitals"), columns, rows, _totals(rows, 3), note, 3)


def _diagnoses(consultations: QuerySet[Consultation]) -> Table:
    written = consultations.exclude(diagnosis="").values(text=Lower(Trim("diagnosis"))).annotate(n=Count("id"))
    counted: Counter[str] = Counter()
    for row in written.order_by():
        parts = {" ".join(fold(part).split()) for part in DIAGNOSIS_SEPARATORS.split(row["text"])}
        for part in parts - {""}:
            counted[part] += row["n"]
    rows = [[name, n] for name, n in sorted(counted.items(), key=lambda item: (-item[1], item[0]))]
    note = gettext("Grouped ignoring case and spaces; a consultation listing several conditions counts each once.")
    return Table(
        "diagnoses",
        gettext("Diagnoses"),
        [gettext("Diagnosis"), gettext("Consultations")],
        rows,
        _totals(rows, 1),
        note,
    )


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
    for (_camp, medicine), row in prescribed.items():
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
    columns = [
        gettext("Medicine"),
        gettext("Units prescribed"),
        gettext("Units dispensed"),
        gettext("Patients served"),
        gettext("Stock at start"),
        gettext("Received"),
    ]
    columns += [gettext("Dispensed from stock"), gettext("Adjusted (+/-)"), gettext("Expired"), gettext("Stock at end")]
    note = gettext(
        "Prescribed, dispensed and patients served: this report's camps (a patient served at two camps "
        "counts at both). Stock: the pharmacy's, over %(start)s to %(end)s (%(zone)s), every camp it served."
    ) % {
        "start": date_format(scope.start, "d M Y H:i"),
        "end": date_format(scope.end, "d M Y H:i"),
        "zone": f"{scope.start:%Z}",
    }
    return Table("medicines", gettext("Medicines"), columns, rows, _totals(rows, 1), note)


def _medicines_by_camp(
    camps: list[Any], prescribed: dict[tuple[int, int], dict[str, int]], per_camp: dict[int, dict[str, Any]]
) -> Table:
    units: dict[int, list[int]] = {}
    for (camp, _medicine), row in prescribed.items():
        sums = units.setdefault(camp, [0, 0])
        sums[0] += row["prescribed"]
        sums[1] += row["handed"]
    rows = []
    for camp in camps:
        served = per_camp.get(camp.pk, {}).get("served", 0)
        rows.append([*_camp_cells(camp), *units.get(camp.pk, [0, 0]), served])
    columns = [
        gettext("Camp"),
        gettext("Date"),
        gettext("Location"),
        gettext("Units prescribed"),
        gettext("Units dispensed"),
        gettext("Patients served"),
    ]
    return Table("medicines_by_camp", gettext("Medicines by camp"), columns, rows, _totals(rows, 3), numeric_from=3)
