"""The consultation page is about the patient, and nothing the doctor typed is lost to a button."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from tests.factories import (
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    PrescriptionFactory,
    QueueEntryFactory,
    UserFactory,
    VisitFactory,
    VitalsFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Sinks hear of changes on commit: run those callbacks as a committed request would."""
    return django_capture_on_commit_callbacks


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def in_consultation(**patient) -> Consultation:
    person = PatientFactory(**patient)
    visit = VisitFactory(patient=person, status=Visit.Status.IN_CONSULTATION, camp=CampFactory(status="active"))
    consultation = ConsultationFactory(queue_entry__visit=visit, diagnosis="", advice="")
    VitalsFactory(visit=visit, bp_systolic=162, bp_diastolic=98, pulse=88, rbs=240, spo2=92)
    return consultation


def form(consultation: Consultation, rows: list[dict], **fields: str) -> dict:
    data = {
        "chief_complaint": consultation.chief_complaint,
        "diagnosis": "",
        "advice": "",
        "counselling_status": "not_required",
        "prescriptions-TOTAL_FORMS": str(len(rows)),
        "prescriptions-INITIAL_FORMS": "0",
        **fields,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"prescriptions-{i}-{key}"] = value if key == "time_slots" else str(value)
        data[f"prescriptions-{i}-consultation"] = str(consultation.pk)
    return data


def test_the_page_names_the_patient_flags_vitals_and_shows_earlier_visits():
    consultation = in_consultation(name="Sunita Devi", age_years=52, sex="female", book_no="KP-114")
    earlier = VisitFactory(patient=consultation.visit.patient, camp=CampFactory(name="Kondapur camp"))
    Visit.objects.filter(pk=earlier.pk).update(registered_at=timezone.now() - dt.timedelta(days=90))
    old = ConsultationFactory(queue_entry__visit=earlier, diagnosis="hypertension")
    PrescriptionFactory(consultation=old, medicine=MedicineFactory(name="Amlodipine", formulation="5 mg"), quantity=30)
    page = signed_in(consultation.doctor).get(f"/admin/consultations/consultation/{consultation.pk}/change/")
    text = page.content.decode()
    assert "Sunita Devi" in text and "52 years" in text and "KP-114" in text
    assert f"Token {consultation.visit.token_number}" in text
    assert "BP 162/98" in text and "raised blood pressure" in text and "RBS 240" in text and "SpO2 92%" in text
    assert "pulse 88" not in text  # within range: not flagged
    assert "Kondapur camp" in text and "hypertension" in text and "Amlodipine 5 mg" in text
    assert 'name="_complete"' in text and "complete-consultation" not in text  # one way to complete


def test_save_and_complete_keeps_what_was_typed_and_sends_the_patient_to_the_pharmacy(audit, committed):
    consultation = in_consultation()
    medicine = MedicineFactory(name="Metformin", formulation="500 mg")
    doctor = signed_in(consultation.doctor)
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    rows = [{"medicine": medicine.pk, "quantity": 60, "days": 30, "time_slots": ["morning", "night"]}]
    with committed(execute=True):
        done = doctor.post(url, {**form(consultation, rows, diagnosis="type 2 diabetes"), "_complete": "1"})
    assert done.status_code == 302 and done["Location"].endswith("?mine=1")
    consultation.refresh_from_db()
    assert consultation.diagnosis == "type 2 diabetes"
    assert Prescription.objects.get(consultation=consultation).medicine == medicine
    assert QueueEntry.objects.get(pk=consultation.queue_entry_id).status == "completed"
    assert Visit.objects.get(pk=consultation.visit_id).status == "consulted"
    names = [e["event"] for e in audit.events if e["action"] not in ("read", "login")]
    assert names[:3] == ["consultation.updated", "prescription.created", "queue.status_changed"]
    assert "visit.status_changed" in names


def test_completing_with_nothing_prescribed_moves_the_visit_past_the_pharmacy(audit, committed):
    consultation = in_consultation()
    doctor = signed_in(consultation.doctor)
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    with committed(execute=True):
        done = doctor.post(url, {**form(consultation, [], diagnosis="common cold"), "_complete": "1"}, follow=True)
    assert "nothing to dispense: the visit is completed" in done.content.decode()
    assert Visit.objects.get(pk=consultation.visit_id).status == "completed"
    moved = [e for e in audit.named("visit.status_changed") if e["changes"]["status"]["new"] == "completed"]
    assert len(moved) == 1 and "nothing to dispense" in moved[0]["message"]


def test_a_form_with_an_error_is_not_completed_and_keeps_what_was_typed():
    consultation = in_consultation()
    doctor = signed_in(consultation.doctor)
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    bad = [{"medicine": MedicineFactory().pk, "quantity": 0, "days": 3, "time_slots": ["morning"]}]
    page = doctor.post(url, {**form(consultation, bad, diagnosis="typed before the error"), "_complete": "1"})
    assert page.status_code == 200 and "typed before the error" in page.content.decode()
    assert QueueEntry.objects.get(pk=consultation.queue_entry_id).status == "in_consultation"
    assert Consultation.objects.get(pk=consultation.pk).diagnosis == ""  # nothing half-written either


def test_the_doctors_queue_shows_people_flags_and_minutes_waited():
    consultation = in_consultation(name="Sunita Devi", age_years=52, sex="female")
    doctor = consultation.doctor
    waiting = QueueEntryFactory(doctor=doctor, visit__patient__name="Ramu Goud", visit__patient__age_years=61)
    QueueEntry.objects.filter(pk=waiting.pk).update(queued_at=timezone.now() - dt.timedelta(minutes=35))
    client = signed_in(doctor)
    with CaptureQueriesContext(connection) as two:
        text = client.get("/admin/consultations/queueentry/?mine=1").content.decode()
    assert "Sunita Devi" in text and "52 F" in text and "BP 162/98, RBS 240, SpO2 92%" in text
    assert "Ramu Goud" in text and "61" in text and "no vitals" in text and "35 min" in text
    assert "My open queue" in text
    for _ in range(3):
        VitalsFactory(visit=QueueEntryFactory(doctor=doctor).visit)
    with CaptureQueriesContext(connection) as five:
        client.get("/admin/consultations/queueentry/?mine=1")
    assert len(five) == len(two)  # the same queries for two rows or five: no query per row


def test_my_queue_is_offered_to_doctors_only():
    QueueEntryFactory()
    for role in ("volunteer", "auditor", "admin"):
        page = signed_in(UserFactory(roles=[role])).get("/admin/consultations/queueentry/")
        assert page.status_code == 200 and "My open queue" not in page.content.decode(), role


def test_the_dashboard_offers_my_queue_to_doctors_only():
    CampFactory(status="active")
    for role, offered in (("doctor", True), ("volunteer", False), ("auditor", False), ("pharmacist", False)):
        page = signed_in(UserFactory(roles=[role])).get("/admin/").content.decode()
        assert ("?mine=1" in page) is offered, role


def test_records_are_labelled_by_people_and_places_without_a_query_per_row():
    admin_client = signed_in(UserFactory(roles=["admin"]))
    consultation = in_consultation(name="Sunita Devi")
    medicine = MedicineFactory(name="Metformin", formulation="500 mg", type="tablet")
    prescription = PrescriptionFactory(consultation=consultation, medicine=medicine, quantity=60)
    assert (
        str(Prescription.objects.select_related("medicine").get(pk=prescription.pk)) == "60 x Metformin 500 mg (tablet)"
    )
    with CaptureQueriesContext(connection) as one:
        listing = admin_client.get("/admin/consultations/prescription/").content.decode()
    camp = consultation.visit.camp
    assert "Metformin 500 mg (tablet)" in listing
    assert f"Consultation of Token {consultation.visit.token_number}, Sunita Devi, {camp.name}" in listing
    assert "medicine " + str(medicine.pk) not in listing and f"camp {camp.pk}" not in listing
    for _ in range(3):
        PrescriptionFactory(consultation=in_consultation(), medicine=medicine)
    with CaptureQueriesContext(connection) as four:
        admin_client.get("/admin/consultations/prescription/")
    assert len(four) == len(one)
    page = admin_client.get(f"/admin/consultations/consultation/{consultation.pk}/change/").content.decode()
    assert f"Consultation of Token {consultation.visit.token_number}, Sunita Devi" in page  # the page's title
