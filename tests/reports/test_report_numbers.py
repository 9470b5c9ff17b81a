"""Every number of a report, checked against a camp whose records are known (tests/reports/known_camp.py)."""

from __future__ import annotations

import pytest

from consultations.reports import scope, sections
from tests.reports import known_camp

pytestmark = pytest.mark.django_db


def tables_of(report_scope) -> dict[str, sections.Table]:
    return {table.key: table for table in sections.build(report_scope)}


@pytest.fixture
def built():
    return known_camp.build()


def test_a_camps_report_is_exact_to_the_record(built):
    camp = built["camp"]
    t = tables_of(scope.of_camp(camp.pk))
    assert t["attendance"].rows == [["Kondapur camp", "2026-03-14", "Kondapur school", 50, 4, 3, 2, 1, 1, 6]]
    ages = {row[0]: row[1:] for row in t["age_sex"].rows}  # female, male, other, all
    assert ages == {
        "0-4": [0, 1, 0, 1],
        "5-14": [0, 0, 0, 0],
        "15-29": [0, 0, 0, 0],
        "30-44": [1, 0, 0, 1],
        "45-59": [0, 0, 1, 1],
        "60+": [1, 0, 0, 1],
        "unknown": [0, 0, 0, 0],
    }
    assert t["age_sex"].totals == ["Total", 2, 1, 1, 4]
    assert t["new_returning"].rows == [["New", 3], ["Returning", 1]]
    # vitals recorded, BP raised, RBS raised, SpO2 low, fever, underweight, overweight
    assert t["screening"].rows[0][3:] == [3, 1, 1, 1, 1, 1, 1]
    assert t["diagnoses"].rows == [["hypertension", 2], ["fever", 1], ["type 2 diabetes", 1]]
    assert t["medicines"].rows == [
        # prescribed, dispensed, patients served, stock at start, received, dispensed, adjusted, expired, at end
        ["Amlodipine 2.5 mg (tablet)", 50, 30, 1, 100, 0, 30, -5, 0, 65],
        ["Paracetamol 120 mg/5 ml (syrup)", 10, 4, 1, 50, 0, 4, 0, 6, 40],
    ]
    assert t["medicines_by_camp"].rows[0][3:] == [60, 34, 2]
    assert t["flow"].rows == [
        ["Registration to vitals", 3, 20.0, 28.0],
        ["Registration to the consultation's start", 3, 40.0, 48.0],
        ["Registration to pickup", 2, 75.0, 87.0],
    ]
    assert t["doctors"].rows == [["Dr Meena Iyer", 2, 10.0], ["Dr Ravi Kumar", 1, 5.0]]
    assert t["doctors"].totals == ["All doctors", 3, None]  # medians do not add up
    assert t["counselling"].rows == [["Asked for", 2], ["Done", 1]]


def test_a_range_has_a_row_per_camp_and_a_location_narrows_it(built):
    t = tables_of(scope.of_range({"from": "2026-02-01", "to": "2026-03-31"}))
    assert [row[0] for row in t["attendance"].rows] == ["Kothur camp", "Kondapur camp", "Shadnagar camp"]
    assert t["attendance"].totals[4] == 6  # registered: 1 + 4 + 1
    assert t["new_returning"].rows == [["New", 5], ["Returning", 1]]
    assert [row[4] for row in t["screening"].rows] == [0, 1, 1]  # BP raised per camp
    narrowed = tables_of(scope.of_range({"from": "2026-02-01", "to": "2026-03-31", "location": "KONDAPUR"}))
    assert [row[0] for row in narrowed["attendance"].rows] == ["Kondapur camp"]
    empty = tables_of(scope.of_range({"from": "2020-01-01", "to": "2020-12-31"}))
    assert empty["attendance"].rows == [] and empty["flow"].rows[0][1:] == [0, None, None]


def test_no_patient_is_named_in_a_report(built):
    from patients.models import Patient

    text = repr([table.as_dict() for table in sections.build(scope.of_camp(built["camp"].pk))])
    for patient in Patient.objects.all():
        for value in (patient.name, patient.phone, patient.address, patient.book_no):
            assert value and value not in text
