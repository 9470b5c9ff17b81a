"""An admin save loads its row once and writes only what changed (the query log, not the clock)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext

from consultations.models import QueueEntry
from patients.models import Patient, Visit
from tests.factories import ConsultationFactory, PatientFactory, QueueEntryFactory, UserFactory, VitalsFactory

pytestmark = pytest.mark.django_db

MANAGEMENT = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}


def saved(url: str, data: dict, inlines: tuple[str, ...] = ()) -> list[str]:
    """The SQL of one admin save, as an admin."""
    client = Client()
    client.force_login(UserFactory(roles=["admin"], is_superuser=True))
    for prefix in inlines:
        data.update({f"{prefix}-{key}": value for key, value in MANAGEMENT.items()})
    with CaptureQueriesContext(connection) as ctx, TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return [q["sql"] for q in ctx.captured_queries]


def selects_of(table: str, sql: list[str]) -> int:
    return sum(1 for q in sql if q.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in q)


def update_columns(table: str, sql: list[str]) -> list[list[str]]:
    updates = [q for q in sql if q.startswith(f'UPDATE "{table}"')]
    return [re.findall(r'"(\w+)" = ', q.split(" WHERE ")[0]) for q in updates]


def test_a_patient_save_selects_the_patient_once_and_writes_the_changed_column():
    patient = PatientFactory(name="Asha")
    form = {f: getattr(patient, f) for f in ("book_no", "name", "age_years", "sex", "phone", "area", "address")}
    sql = saved(f"/admin/patients/patient/{patient.pk}/change/", {**form, "name": "Asha Devi"}, ("visits",))
    assert selects_of("patients_patient", sql) == 1
    assert update_columns("patients_patient", sql) == [["name", "updated_at"]]
    assert Patient.objects.get(pk=patient.pk).name == "Asha Devi"


def test_a_visit_save_selects_the_visit_once():
    visit = VitalsFactory().visit
    Visit.objects.filter(pk=visit.pk).update(status="vitals_recorded")
    sql = saved(
        f"/admin/patients/visit/{visit.pk}/change/",
        {"status": "cancelled"},
        ("vitals", "queue_entries", "consultations"),
    )
    assert selects_of("patients_visit", sql) == 1
    assert update_columns("patients_visit", sql) == [["status", "cancelled_at"]]  # the stage stamp changed too


def test_a_vitals_save_selects_the_vitals_once():
    vitals = VitalsFactory(pulse=80)
    data = {name: getattr(vitals, name) for name in vitals.MEASURES if getattr(vitals, name) is not None}
    sql = saved(f"/admin/patients/vitals/{vitals.pk}/change/", {**data, "pulse": 84})
    assert selects_of("patients_vitals", sql) == 1
    assert update_columns("patients_vitals", sql) == [["pulse", "updated_at"]]


def test_a_queue_entry_save_selects_the_entry_once():
    entry = QueueEntryFactory(priority="normal")
    sql = saved(f"/admin/consultations/queueentry/{entry.pk}/change/", {"priority": "urgent", "status": entry.status})
    assert selects_of("consultations_queueentry", sql) == 1
    assert update_columns("consultations_queueentry", sql) == [["priority"]]
    assert QueueEntry.objects.get(pk=entry.pk).priority == "urgent"


def test_a_consultation_save_selects_the_consultation_once():
    consultation = ConsultationFactory(diagnosis="fever")
    data = {
        "chief_complaint": consultation.chief_complaint,
        "diagnosis": "viral fever",
        "advice": consultation.advice,
        "counselling_status": consultation.counselling_status,
    }
    sql = saved(f"/admin/consultations/consultation/{consultation.pk}/change/", data, ("prescriptions",))
    assert selects_of("consultations_consultation", sql) == 1
    assert update_columns("consultations_consultation", sql) == [["diagnosis", "updated_at"]]


def test_a_partial_update_through_the_api_writes_the_changed_column(client_for):
    patient = PatientFactory(area="Kothur")
    admin = UserFactory(roles=["admin"])
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(admin).patch(f"/api/v1/patients/{patient.pk}/", {"area": "Shadnagar"}, format="json")
    assert response.status_code == 200, response.json()
    sql = [q["sql"] for q in ctx.captured_queries]
    assert update_columns("patients_patient", sql) == [["area", "updated_at"]]
