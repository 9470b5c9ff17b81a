"""Reads in Django admin are audited like reads through the API: one mixin, every admin."""

from __future__ import annotations

import pytest
from django.test import Client

from consultations.models import Consultation, QueueEntry
from tests.factories import PatientFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(roles=[role]))
    return client


def reads(audit) -> list[dict]:
    return [e for e in audit.events if e["action"] == "read"]


def test_a_doctor_opening_a_patient_is_one_read_event(audit):
    patient = PatientFactory()
    response = signed_in("doctor").get(f"/admin/patients/patient/{patient.pk}/change/")
    assert response.status_code == 200
    [event] = reads(audit)
    assert (event["event"], event["source"], event["patient_id"]) == ("patient.viewed", "admin", patient.pk)
    assert event["target"] == {"type": "patient", "id": patient.pk}


def test_a_doctor_opening_a_consultation_is_one_read_event_with_patient_and_visit(audit):
    doctor = UserFactory(roles=["doctor"])
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)
    client = Client()
    client.force_login(doctor)
    assert client.get(f"/admin/consultations/consultation/{consultation.pk}/change/").status_code == 200
    [event] = reads(audit)
    assert event["event"] == "consultation.viewed"
    assert (event["patient_id"], event["visit_id"]) == (visit.patient_id, visit.pk)


def test_an_auditor_opening_a_history_page_is_one_read_event(audit):
    patient = PatientFactory()
    response = signed_in("auditor").get(f"/admin/patients/patient/{patient.pk}/history/")
    assert response.status_code == 200
    [event] = reads(audit)
    assert (event["event"], event["patient_id"], event["source"]) == ("patient.history_viewed", patient.pk, "admin")


def test_a_changelist_search_is_one_search_event_with_query_and_count(audit):
    PatientFactory(name="Asha Kumari")
    PatientFactory(name="Asha Devi")
    PatientFactory(name="Ravi")
    response = signed_in("volunteer").get("/admin/patients/patient/", {"q": "asha"})
    assert response.status_code == 200
    [event] = reads(audit)
    assert event["event"] == "patient.searched"
    assert (event["details"]["query"], event["details"]["count"]) == ("asha", 2)


def test_a_phone_number_searched_in_admin_is_masked(audit):
    PatientFactory(phone="9876543210")
    signed_in("volunteer").get("/admin/patients/patient/", {"q": "9876543210"})
    event = audit.one("patient.searched")
    assert event["details"]["count"] == 1
    assert "9876543210" not in str(event) and event["details"]["query"].startswith("***")


def test_a_refused_page_is_no_read_event(audit):
    patient = PatientFactory()
    response = signed_in("pharmacist").get(f"/admin/patients/patient/{patient.pk}/history/")
    assert response.status_code == 403
    assert reads(audit) == []
