"""A report's query count does not grow with the camp, nor with a range's number of camps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.reports import scope, sections
from tests.factories import CampFactory, DispenseFactory, VitalsFactory
from tests.reports import known_camp

pytestmark = pytest.mark.django_db


def queries(report_scope) -> int:
    with CaptureQueriesContext(connection) as captured:
        sections.build(report_scope)
    return len(captured)


def grow(camp, n: int) -> None:
    for _ in range(n):
        dispense = DispenseFactory(prescription__consultation__queue_entry__visit__camp=camp)
        VitalsFactory(visit=dispense.prescription.consultation.visit)


def test_the_same_queries_for_a_small_and_a_larger_camp_and_range():
    built = known_camp.build()
    camp = built["camp"]
    small, small_range = (
        queries(scope.of_camp(camp.pk)),
        queries(scope.of_range({"from": "2026-01-01", "to": "2026-12-31"})),
    )
    grow(camp, 25)
    for _ in range(5):
        grow(CampFactory(date=known_camp.DAY), 3)
    assert queries(scope.of_camp(camp.pk)) == small
    assert queries(scope.of_range({"from": "2026-01-01", "to": "2026-12-31"})) == small_range
    assert small == small_range == 12  # the camps, 11 aggregates (consultations/reports/sections.py)
