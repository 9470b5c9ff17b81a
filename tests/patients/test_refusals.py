"""Bad input and illegal moves: the error shape, nothing written, a failure event."""

from __future__ import annotations

import pytest

from camps.models import MedicalCamp
from patients.models import Patient, Visit, Vitals
from tests.factories import CampFactory, PatientFactory, UserFactory, VisitFactory, VitalsFactory

GOOD = {"bp_systolic": 130, "bp_diastolic": 85, "pulse": 72, "rbs": 110, "weight_kg": "60", "height_cm": "160"}


@pytest.fixture
def vol(client_for, volunteer):
    return client_for(volunteer)


def assert_failure(audit, event, reason):
    failure = audit.one(event)
    assert (failure["outcome"], failure["reason"], failure["level"]) == ("failure", reason, "WARNING")
    return failure


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ({"bp_systolic": 300}, "bp_systolic", "Systolic blood pressure must be between 70 and 250 mmHg."),
        ({"bp_diastolic": 20}, "bp_diastolic", "Diastolic blood pressure must be between 40 and 150 mmHg."),
        ({"pulse": 5}, "pulse", "Pulse must be between 30 and 220 beats per minute."),
        ({"rbs": 1500}, "rbs", "Random blood sugar must be between 20 and 1000 mg/dL."),
        ({"weight_kg": "0.5"}, "weight_kg", "Weight must be between 1 and 500 kg."),
        ({"height_cm": "300"}, "height_cm", "Height must be between 50 and 275 cm."),
        ({"spo2": 101}, "spo2", "SpO2 must be between 50 and 100 %."),
        ({"temperature_c": "50"}, "temperature_c", "Temperature must be between 30 and 45 °C."),
        ({"bp_diastolic": 130}, "bp_diastolic", "Diastolic (130) must be lower than systolic (130); check both."),
        ({"pulse": "fast"}, "pulse", "A valid integer is required."),
    ],
)
def test_out_of_range_vitals_are_explained_and_not_saved(vol, audit, override, field, message):
    visit = VisitFactory()
    response = vol.post(f"/api/v1/visits/{visit.pk}/vitals/", {**GOOD, **override}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["fields"][field] == [message]
    assert not Vitals.objects.exists()
    visit.refresh_from_db()
    assert visit.status == "registered"
    failure = assert_failure(audit, "vitals.create", "invalid")
    assert field in failure["details"]["fields"]


def test_vitals_are_recorded_once_then_corrected(vol, audit):
    vitals = VitalsFactory()
    response = vol.post(f"/api/v1/visits/{vitals.visit_id}/vitals/", GOOD, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "vitals_exist" and response.json()["existing_id"] == vitals.pk
    assert Vitals.objects.count() == 1


def test_a_correction_that_breaks_a_rule_changes_nothing(vol, audit):
    vitals = VitalsFactory(bp_systolic=120, bp_diastolic=80)
    response = vol.patch(f"/api/v1/vitals/{vitals.pk}/", {"bp_systolic": 75}, format="json")
    assert response.status_code == 400 and "bp_diastolic" in response.json()["fields"]
    vitals.refresh_from_db()
    assert vitals.bp_systolic == 120 and vitals.history.count() == 1
    assert_failure(audit, "vitals.update", "invalid")


def test_unknown_camp_is_404(vol, audit):
    patient = PatientFactory()
    response = vol.post(f"/api/v1/patients/{patient.pk}/visits/", {"camp": 999999}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "camp_not_found"
    assert not Visit.objects.exists()
    assert_failure(audit, "visit.create", "camp_not_found")


def test_a_second_registration_is_409_and_keeps_the_token_counter(vol, audit):
    visit = VisitFactory()
    counter = MedicalCamp.objects.get(pk=visit.camp_id).last_token
    response = vol.post(f"/api/v1/patients/{visit.patient_id}/visits/", {"camp": visit.camp_id}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["existing_id"], body["token_number"]) == (
        "duplicate_visit",
        visit.pk,
        visit.token_number,
    )
    assert Visit.objects.count() == 1
    assert MedicalCamp.objects.get(pk=visit.camp_id).last_token == counter
    assert_failure(audit, "visit.create", "duplicate_visit")


def test_a_closed_camp_takes_no_registrations(vol, audit):
    camp = CampFactory(status="closed")
    patient = PatientFactory()
    response = vol.post(f"/api/v1/patients/{patient.pk}/visits/", {"camp": camp.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "camp_closed")
    refused = assert_failure(audit, "visit.create", "camp_closed")
    assert (refused["patient_id"], refused["camp_id"]) == (patient.pk, camp.pk)  # what the request named


def test_a_refusal_before_the_body_is_read_takes_nothing_from_it(client_for, audit):
    camp, patient = CampFactory(), PatientFactory()
    pharmacist = client_for(UserFactory(roles=["pharmacist"]))
    response = pharmacist.post(f"/api/v1/patients/{patient.pk}/visits/", {"camp": camp.pk}, format="json")
    assert response.status_code == 403
    refused = assert_failure(audit, "visit.create", "permission_denied")
    assert refused["patient_id"] == patient.pk and "camp_id" not in refused


@pytest.mark.parametrize("spelling", ["MC-7", "mc-7", "  mc-7 ", "Mc-7"])
def test_duplicate_book_number_is_409_naming_the_patient(vol, audit, spelling):
    existing = PatientFactory(book_no="MC-7")
    payload = {"book_no": spelling, "name": "Someone Else", "age_years": 30, "sex": "male", "area": "Kothur"}
    response = vol.post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_patient" and response.json()["existing_id"] == existing.pk
    assert Patient.objects.count() == 1
    assert_failure(audit, "patient.create", "duplicate_patient")


def test_illegal_visit_move_is_409_and_changes_nothing(vol, audit):
    visit = VisitFactory()
    response = vol.patch(f"/api/v1/visits/{visit.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert (response.json()["from"], response.json()["to"]) == ("registered", "completed")
    visit.refresh_from_db()
    assert visit.status == "registered" and visit.history.count() == 1
    assert_failure(audit, "visit.update", "invalid_transition")
    cancelled = vol.patch(f"/api/v1/visits/{visit.pk}/", {"status": "cancelled"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"]
    again = vol.post(f"/api/v1/visits/{visit.pk}/vitals/", GOOD, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "visit_closed")


def test_illegal_camp_status_move(client_for, admin_user, audit):
    camp = CampFactory(status="closed")
    response = client_for(admin_user).patch(f"/api/v1/camps/{camp.pk}/", {"status": "active"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert_failure(audit, "camp.update", "invalid_transition")


@pytest.mark.parametrize(
    "payload",
    [{"date": "not-a-date"}, {"expected_patients": -3}, {"status": "exploded"}, {}],
)
def test_bad_camp_updates_are_400(client_for, admin_user, payload):
    camp = CampFactory()
    response = client_for(admin_user).patch(f"/api/v1/camps/{camp.pk}/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid" and response.json()["fields"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "No Book", "age_years": 3, "sex": "male", "area": "X"},
        {"book_no": "B1", "name": "Old", "age_years": 200, "sex": "male", "area": "X"},
        {"book_no": "B2", "name": "Who", "age_years": 3, "sex": "unknown", "area": "X"},
        {"book_no": "B3", "name": "Ph", "age_years": 3, "sex": "male", "area": "X", "phone": "call me"},
    ],
)
def test_bad_patient_input_is_400_and_nothing_saved(vol, payload):
    response = vol.post("/api/v1/patients/", payload, format="json")
    assert response.status_code == 400 and response.json()["fields"]
    assert not Patient.objects.exists()


def test_unknown_records_are_404_in_the_error_shape(vol):
    for url in ("/api/v1/patients/9999/", "/api/v1/visits/9999/", "/api/v1/patients/9999/status/"):
        response = vol.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_status_without_a_visit_is_404(vol):
    patient = PatientFactory()
    response = vol.get(f"/api/v1/patients/{patient.pk}/status/")
    assert (response.status_code, response.json()["code"]) == (404, "visit_not_found")
    bad = vol.get(f"/api/v1/patients/{patient.pk}/status/?camp=abc")
    assert bad.status_code == 400 and "camp" in bad.json()["fields"]


def test_roles_outside_registration_cannot_write_patients(client_for, pharmacist, counsellor, auditor, audit):
    payload = {"book_no": "R1", "name": "N", "age_years": 3, "sex": "male", "area": "X"}
    for user in (pharmacist, counsellor, auditor):
        assert client_for(user).post("/api/v1/patients/", payload, format="json").status_code == 403
    assert not Patient.objects.exists()
    assert [e["reason"] for e in audit.named("patient.create")] == ["permission_denied"] * 3
