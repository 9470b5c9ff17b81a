"""A PATCH loads the record it changes once: the service loads and locks it, the view does not."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    CampFactory,
    ConsultationFactory,
    PatientFactory,
    PrescriptionFactory,
    QueueEntryFactory,
    VitalsFactory,
)


def loads_of(table: str, queries: list[dict[str, str]]) -> int:
    pattern = re.compile(rf'^SELECT .* FROM "{table}"', re.S)  # noqa: S608 (a pattern, not a query)
    return sum(1 for q in queries if pattern.match(q["sql"]))


@pytest.mark.parametrize(
    ("make", "url", "body", "table", "role"),
    [
        (
            lambda d: ConsultationFactory(doctor=d),
            "/api/v1/consultations/{}/",
            {"diagnosis": "flu"},
            "consultations_consultation",
            "doctor",
        ),
        (
            lambda d: PrescriptionFactory(consultation=ConsultationFactory(doctor=d)),
            "/api/v1/prescriptions/{}/",
            {"days": 9},
            "consultations_prescription",
            "doctor",
        ),
        (
            lambda d: QueueEntryFactory(doctor=d),
            "/api/v1/queue/{}/",
            {"priority": "urgent"},
            "consultations_queueentry",
            "doctor",
        ),
        (lambda d: PatientFactory(), "/api/v1/patients/{}/", {"area": "Kothur East"}, "patients_patient", "admin"),
        (lambda d: VitalsFactory(), "/api/v1/vitals/{}/", {"pulse": 80}, "patients_vitals", "admin"),
        (lambda d: CampFactory(), "/api/v1/camps/{}/", {"location": "School hall"}, "camps_medicalcamp", "admin"),
    ],
    ids=["consultation", "prescription", "queue_entry", "patient", "vitals", "camp"],
)
def test_patch_loads_its_record_once(client_for, doctor, admin_user, make, url, body, table, role):
    record = make(doctor)
    api = client_for(doctor if role == "doctor" else admin_user)
    with CaptureQueriesContext(connection) as ctx:
        response = api.patch(url.format(record.pk), body, format="json")
    assert response.status_code == 200, response.json()
    assert loads_of(table, ctx.captured_queries) == 1
