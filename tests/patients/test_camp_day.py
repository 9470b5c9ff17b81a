"""The first half of a camp day through the API, with its events and history rows."""

from __future__ import annotations

import json

from camps.models import MedicalCamp
from patients.models import Patient, Visit, Vitals

VITALS = {"bp_systolic": 150, "bp_diastolic": 95, "pulse": 88, "rbs": 210, "weight_kg": "61.5", "height_cm": "158"}


def test_first_half_of_a_camp_day(client_for, admin_user, volunteer, doctor, audit):
    admin, vol = client_for(admin_user), client_for(volunteer)

    # The camp admin plans the camp.
    camp = admin.post(
        "/api/v1/camps/",
        {"name": "Kothur Health Camp", "date": "2026-12-06", "location": "ZP High School", "expected_patients": 250},
        format="json",
    )
    assert camp.status_code == 201, camp.json()
    camp_id = camp.json()["id"]
    created = audit.one("camp.created")
    assert created["fields"] == {
        "name": "Kothur Health Camp",
        "date": "2026-12-06",
        "location": "ZP High School",
        "expected_patients": 250,
        "attended_patients": 0,
        "status": "planned",
        "language": "en",
    }
    assert created["camp_id"] == camp_id and created["actor"]["username"] == "alice_admin"
    assert created["source"] == "service"

    # A volunteer registers two patients.
    lakshmi = vol.post(
        "/api/v1/patients/",
        {
            "book_no": " kt-0042 ",
            "name": "Lakshmi Devi",
            "age_years": 58,
            "sex": "female",
            "phone": "98480 12345",
            "area": "Kothur",
            "address": "2-14 Temple Street",
        },
        format="json",
    )
    assert lakshmi.status_code == 201, lakshmi.json()
    assert lakshmi.json()["book_no"] == "KT-0042" and lakshmi.json()["phone"] == "9848012345"
    lakshmi_id = lakshmi.json()["id"]
    patient_created = audit.one("patient.created")
    fields = patient_created["fields"]
    assert {k: fields[k] for k in ("book_no", "name", "age_years", "sex", "area")} == {
        "book_no": "KT-0042",
        "name": "Lakshmi Devi",
        "age_years": 58,
        "sex": "female",
        "area": "Kothur",
    }
    assert fields["phone"].startswith("***45#") and fields["address"].startswith("***et#")
    assert "9848012345" not in json.dumps(audit.events) and "Temple" not in json.dumps(audit.events)
    assert patient_created["patient_id"] == lakshmi_id
    ramu = vol.post(
        "/api/v1/patients/",
        {"book_no": "KT-0043", "name": "Ramu Goud", "age_years": 64, "sex": "male", "area": "Kothur East"},
        format="json",
    ).json()

    # Searches are logged with the filters used and the result count.
    found = vol.get("/api/v1/patients/?area=kothur")
    assert found.json()["count"] == 2
    assert vol.get("/api/v1/patients/?search=laksh").json()["results"][0]["id"] == lakshmi_id
    assert vol.get("/api/v1/patients/?book_no=kt-0043").json()["results"][0]["id"] == ramu["id"]
    assert vol.get("/api/v1/patients/?phone=12345").json()["count"] == 1
    searches = audit.named("patient.searched")
    assert [s["details"]["filters"] for s in searches[:3]] == [
        {"area": "kothur"},
        {"search": "laksh"},
        {"book_no": "kt-0043"},
    ]
    assert [s["details"]["count"] for s in searches] == [2, 1, 1, 1]
    assert searches[3]["details"]["filters"]["phone"].startswith("***")  # a phone filter is masked too

    # Registration for the camp: tokens in order; a second registration is refused.
    first = vol.post(f"/api/v1/patients/{lakshmi_id}/visits/", {"camp": camp_id}, format="json")
    second = vol.post(f"/api/v1/patients/{ramu['id']}/visits/", {"camp": camp_id}, format="json")
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json()["token_number"], second.json()["token_number"]) == (1, 2)
    visit_id = first.json()["id"]
    registered = audit.named("visit.registered")[0]
    assert registered["message"] == "vic_volunteer registered KT-0042 for camp 'Kothur Health Camp' with token 1"
    assert (registered["patient_id"], registered["camp_id"], registered["visit_id"]) == (lakshmi_id, camp_id, visit_id)

    # Vitals, then a correction with a field-level diff.
    recorded = vol.post(f"/api/v1/visits/{visit_id}/vitals/", VITALS, format="json")
    assert recorded.status_code == 201, recorded.json()
    vitals_id = recorded.json()["id"]
    assert audit.one("vitals.recorded")["fields"]["bp_systolic"] == 150
    moved = audit.one("visit.status_changed")
    assert moved["changes"]["status"] == {"old": "registered", "new": "vitals_recorded"}
    assert moved["changes"]["vitals_at"]["old"] is None
    corrected = client_for(doctor).patch(
        f"/api/v1/vitals/{vitals_id}/", {"bp_systolic": 145, "rbs": 205}, format="json"
    )
    assert corrected.status_code == 200
    correction = audit.one("vitals.corrected")
    assert correction["changes"] == {"bp_systolic": {"old": 150, "new": 145}, "rbs": {"old": 210, "new": 205}}
    assert correction["actor"]["username"] == "dr_rao" and correction["visit_id"] == visit_id

    # Where is the patient?
    status = client_for(doctor).get(f"/api/v1/patients/{lakshmi_id}/status/?camp={camp_id}").json()
    assert status["status"] == "vitals_recorded" and status["token_number"] == 1
    assert status["stages"]["registered"] and status["stages"]["vitals_recorded"] and not status["stages"]["queued"]
    assert audit.one("patient.status_viewed")["details"] == {"status": "vitals_recorded"}
    history = vol.get(f"/api/v1/patients/{lakshmi_id}/vitals/").json()["results"]
    assert [row["bp_systolic"] for row in history] == [145]
    assert audit.one("patient.vitals_viewed")["details"] == {"count": 1}

    # A patient update logs changed fields only.
    assert (
        vol.patch(f"/api/v1/patients/{lakshmi_id}/", {"age_years": 59, "area": "Kothur"}, format="json").status_code
        == 200
    )
    assert audit.one("patient.updated")["changes"] == {"age_years": {"old": 58, "new": 59}}

    # The camp admin records the headcount and opens the camp.
    update = admin.patch(f"/api/v1/camps/{camp_id}/", {"attended_patients": 2, "status": "active"}, format="json")
    assert update.status_code == 200
    assert audit.one("camp.updated")["changes"] == {
        "attended_patients": {"old": 0, "new": 2},
        "status": {"old": "planned", "new": "active"},
    }

    # History rows hold every version, with who made it.
    vitals_history = Vitals.objects.get(pk=vitals_id).history.order_by("history_id")
    assert [(h.history_type, h.bp_systolic, h.history_user.username) for h in vitals_history] == [
        ("+", 150, "vic_volunteer"),
        ("~", 145, "dr_rao"),
    ]
    visit_history = Visit.objects.get(pk=visit_id).history.order_by("history_id")
    assert [h.status for h in visit_history] == ["registered", "vitals_recorded"]
    assert [h.age_years for h in Patient.objects.get(pk=lakshmi_id).history.order_by("history_id")] == [58, 59]
    assert Patient.objects.get(pk=lakshmi_id).history.first().phone == "9848012345"  # full value kept in history
    assert [h.status for h in MedicalCamp.objects.get(pk=camp_id).history.order_by("history_id")] == [
        "planned",
        "active",
    ]
