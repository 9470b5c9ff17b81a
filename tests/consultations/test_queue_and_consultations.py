"""Several patients through several doctors' queues, consultations and prescriptions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from tests.factories import CampFactory, MedicineFactory, PatientFactory, UserFactory, VisitFactory, VitalsFactory


@pytest.fixture
def camp(db):
    return CampFactory()


def queue(api, visit, doctor, priority):
    response = api.post("/api/v1/queue/", {"visit": visit.pk, "doctor": doctor.pk, "priority": priority}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_each_doctor_sees_priority_then_arrival(client_for, volunteer, doctor, doctor2, camp, audit):
    vol = client_for(volunteer)
    visits = [VitalsFactory(visit=VisitFactory(camp=camp)).visit for _ in range(6)]
    plan = [
        (doctor, "normal"),
        (doctor, "urgent"),
        (doctor2, "normal"),
        (doctor, "emergency"),
        (doctor, "normal"),
        (doctor2, "emergency"),
    ]
    entries = [queue(vol, visit, doc, priority) for visit, (doc, priority) in zip(visits, plan, strict=True)]

    rao = client_for(doctor).get(f"/api/v1/queue/?doctor={doctor.pk}").json()
    assert rao["scope"] == "doctor"
    assert [e["id"] for e in rao["results"]] == [entries[3]["id"], entries[1]["id"], entries[0]["id"], entries[4]["id"]]
    assert [e["priority"] for e in rao["results"]] == ["emergency", "urgent", "normal", "normal"]
    iyer = client_for(doctor2).get(f"/api/v1/queue/?doctor={doctor2.pk}").json()
    assert [e["id"] for e in iyer["results"]] == [entries[5]["id"], entries[2]["id"]]
    everyone = client_for(volunteer).get("/api/v1/queue/").json()
    counts = {row["doctor"]: (row["waiting"], row["in_consultation"], row["total"]) for row in everyone["counts"]}
    assert counts == {doctor.pk: (4, 0, 4), doctor2.pk: (2, 0, 2)}
    by_patient = vol.get(f"/api/v1/queue/?patient={visits[0].patient_id}").json()
    assert [e["id"] for e in by_patient["results"]] == [entries[0]["id"]]
    viewed = audit.named("queue.viewed")
    assert [v["details"]["scope"] for v in viewed] == ["doctor", "doctor", "all", "patient"]
    assert viewed[0]["details"] == {"scope": "doctor", "doctor_id": doctor.pk, "count": 4}
    assert viewed[3]["patient_id"] == visits[0].patient_id

    assigned = audit.named("queue.assigned")[1]
    patient = visits[1].patient
    assert assigned["details"]["patient"] == {"id": patient.pk, "name": patient.name, "book_no": patient.book_no}
    assert assigned["details"]["doctor"]["id"] == doctor.pk
    assert f"to {doctor.display_name()} as urgent" in assigned["message"] and patient.name in assigned["message"]
    visits[0].refresh_from_db()
    assert visits[0].status == "queued" and visits[0].queued_at


def test_a_visit_through_two_doctors(client_for, volunteer, doctor, doctor2, counsellor, camp, audit):
    vol, rao, iyer = client_for(volunteer), client_for(doctor), client_for(doctor2)
    visit = VitalsFactory(visit=VisitFactory(camp=camp)).visit
    first = queue(vol, visit, doctor, "normal")
    second = queue(vol, visit, doctor2, "normal")
    again = vol.post("/api/v1/queue/", {"visit": visit.pk, "doctor": doctor.pk}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_queued")

    # The priority changes while waiting; the event says from what to what.
    bumped = vol.patch(f"/api/v1/queue/{first['id']}/", {"priority": "urgent"}, format="json")
    assert bumped.status_code == 200
    change = audit.one("queue.priority_changed")
    assert change["changes"] == {"priority": {"old": "normal", "new": "urgent"}}
    assert change["message"] == f"vic_volunteer moved token {visit.token_number} from normal to urgent"

    # Dr Rao opens a consultation: the entry and the visit move on.
    opened = rao.post(
        "/api/v1/consultations/", {"queue_entry": first["id"], "chief_complaint": "giddiness"}, format="json"
    )
    assert opened.status_code == 201, opened.json()
    consultation_id = opened.json()["id"]
    visit.refresh_from_db()
    assert visit.status == "in_consultation"
    assert QueueEntry.objects.get(pk=first["id"]).status == "in_consultation"
    assert audit.named("queue.status_changed")[0]["changes"]["status"] == {"old": "waiting", "new": "in_consultation"}
    assert audit.one("consultation.opened")["fields"]["chief_complaint"] == "giddiness"

    update = rao.patch(
        f"/api/v1/consultations/{consultation_id}/",
        {"diagnosis": "hypertension", "counselling_status": "pending"},
        format="json",
    )
    assert update.status_code == 200
    assert audit.one("consultation.updated")["changes"] == {
        "diagnosis": {"old": "", "new": "hypertension"},
        "counselling_status": {"old": "not_required", "new": "pending"},
    }
    visit.refresh_from_db()
    assert visit.counselling == "pending"

    # Finishing Dr Rao's entry leaves the visit queued for Dr Iyer, then consulted.
    done = rao.patch(f"/api/v1/queue/{first['id']}/", {"status": "completed"}, format="json")
    assert done.status_code == 200 and done.json()["finished_at"]
    visit.refresh_from_db()
    assert visit.status == "queued"
    iyer.post("/api/v1/consultations/", {"queue_entry": second["id"]}, format="json")
    iyer.patch(f"/api/v1/queue/{second['id']}/", {"status": "completed"}, format="json")
    visit.refresh_from_db()
    assert visit.status == "consulted" and visit.consulted_at

    # The counsellor closes the counselling.
    counsel = client_for(counsellor).patch(
        f"/api/v1/consultations/{consultation_id}/counselling/",
        {"counselling_status": "done", "counselling_notes": "diet explained"},
        format="json",
    )
    assert counsel.status_code == 200
    assert audit.one("consultation.counselling_updated")["changes"]["counselling_status"] == {
        "old": "pending",
        "new": "done",
    }
    visit.refresh_from_db()
    assert visit.counselling == "done"

    # History: every version of the entry and the visit's path.
    entry_history = QueueEntry.objects.get(pk=first["id"]).history.order_by("history_id")
    assert [(h.priority, h.status) for h in entry_history] == [
        ("normal", "waiting"),
        ("urgent", "waiting"),
        ("urgent", "in_consultation"),
        ("urgent", "completed"),
    ]
    assert [(h.status, h.counselling) for h in visit.history.order_by("history_id")] == [
        ("registered", "not_required"),
        ("queued", "not_required"),
        ("in_consultation", "not_required"),
        ("in_consultation", "pending"),
        ("queued", "pending"),
        ("in_consultation", "pending"),
        ("consulted", "pending"),
        ("consulted", "done"),
    ]
    consults = client_for(doctor).get(f"/api/v1/patients/{visit.patient_id}/consultations/").json()["results"]
    assert {c["doctor"]["id"] for c in consults} == {doctor.pk, doctor2.pk}
    assert audit.one("patient.consultations_viewed")["details"] == {"count": 2}


@pytest.mark.parametrize(
    ("start", "move", "legal"),
    [
        ("waiting", "in_consultation", True),
        ("waiting", "cancelled", True),
        ("waiting", "completed", False),
        ("in_consultation", "completed", True),
        ("in_consultation", "waiting", True),
        ("in_consultation", "cancelled", False),
        ("completed", "waiting", False),
        ("completed", "in_consultation", False),
        ("cancelled", "waiting", False),
    ],
)
def test_queue_status_transitions(client_for, doctor, start, move, legal, audit):
    visit = VisitFactory(status="queued" if start == "waiting" else "in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status=start)
    response = client_for(doctor).patch(f"/api/v1/queue/{entry.pk}/", {"status": move}, format="json")
    entry.refresh_from_db()
    if legal:
        assert response.status_code == 200, response.json()
        assert entry.status == move
        assert audit.one("queue.status_changed")["changes"]["status"] == {"old": start, "new": move}
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert entry.status == start
        assert audit.one("queue_entry.update")["reason"] == "invalid_transition"


def test_a_closed_entry_refuses_a_priority_change(client_for, volunteer, doctor):
    entry = QueueEntry.objects.create(visit=VisitFactory(), doctor=doctor, status="completed")
    response = client_for(volunteer).patch(f"/api/v1/queue/{entry.pk}/", {"priority": "emergency"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_a_doctor_cannot_touch_another_doctors_patient(client_for, doctor, doctor2, volunteer, audit):
    visit = VitalsFactory().visit
    entry = queue(client_for(volunteer), visit, doctor, "normal")
    other = client_for(doctor2)
    for attempt in (
        lambda: other.patch(f"/api/v1/queue/{entry['id']}/", {"status": "in_consultation"}, format="json"),
        lambda: other.patch(f"/api/v1/queue/{entry['id']}/", {"priority": "urgent"}, format="json"),
        lambda: other.post("/api/v1/consultations/", {"queue_entry": entry["id"]}, format="json"),
    ):
        response = attempt()
        assert response.status_code == 403
        assert response.json()["code"] == "not_your_patient"
    failures = [e for e in audit.events if e["outcome"] == "failure"]
    assert [(e["reason"], e["actor"]["username"]) for e in failures] == [("not_your_patient", "dr_iyer")] * 3
    assert QueueEntry.objects.get(pk=entry["id"]).status == "waiting" and not Consultation.objects.exists()
    # Writing into another doctor's consultation is refused the same way.
    opened = client_for(doctor).post("/api/v1/consultations/", {"queue_entry": entry["id"]}, format="json").json()
    assert other.patch(f"/api/v1/consultations/{opened['id']}/", {"diagnosis": "x"}, format="json").status_code == 403
    medicine = MedicineFactory()
    rx = other.post(
        f"/api/v1/consultations/{opened['id']}/prescriptions/", {"medicine": medicine.pk, "quantity": 3}, format="json"
    )
    assert rx.status_code == 403 and not Prescription.objects.exists()


def test_a_volunteer_cannot_move_a_queue_entry(client_for, volunteer, doctor):
    entry = QueueEntry.objects.create(visit=VisitFactory(status="queued"), doctor=doctor)
    response = client_for(volunteer).patch(f"/api/v1/queue/{entry.pk}/", {"status": "in_consultation"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_queueing_refuses_non_doctors_and_closed_visits(client_for, volunteer, pharmacist):
    vol = client_for(volunteer)
    visit = VisitFactory()
    not_doctor = vol.post("/api/v1/queue/", {"visit": visit.pk, "doctor": pharmacist.pk}, format="json")
    assert not_doctor.status_code == 400 and "doctor" in not_doctor.json()["fields"]
    closed = VisitFactory(status="completed")
    doc = UserFactory(roles=["doctor"])
    refused = vol.post("/api/v1/queue/", {"visit": closed.pk, "doctor": doc.pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "visit_closed")
    assert not QueueEntry.objects.exists()


def test_queue_views_keep_one_query_count(client_for, doctor, volunteer):
    api = client_for(volunteer)
    camp = CampFactory()

    def fill(n):
        for _ in range(n):
            QueueEntry.objects.create(visit=VisitFactory(camp=camp, patient=PatientFactory()), doctor=doctor)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx.captured_queries)

    fill(2)
    urls = [
        f"/api/v1/queue/?doctor={doctor.pk}",
        "/api/v1/queue/",
        f"/api/v1/queue/?patient={Visit.objects.first().patient_id}",
    ]
    small = [queries(url) for url in urls]
    fill(25)
    assert [queries(url) for url in urls] == small
