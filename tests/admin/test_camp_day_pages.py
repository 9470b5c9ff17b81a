"""Each role's day in admin alone, with the same events as the API (source: admin), in fixed queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Patient, Visit
from pharmacy.models import StockBatch
from tests.factories import CampFactory, MedicineFactory, StockBatchFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db
VITALS = {
    "bp_systolic": "130",
    "bp_diastolic": "85",
    "pulse": "78",
    "rbs": "140",
    "weight_kg": "61",
    "height_cm": "158",
}


@pytest.fixture
def camp_day():
    camp = CampFactory(status="active")
    a, b, c = MedicineFactory(), MedicineFactory(), MedicineFactory()
    today = timezone.localdate()
    early = StockBatchFactory(medicine=a, expiry_date=today + dt.timedelta(days=20), quantity_received=10)
    late = StockBatchFactory(medicine=a, expiry_date=today + dt.timedelta(days=300), quantity_received=100)
    StockBatchFactory(medicine=b, quantity_received=100)
    StockBatchFactory(medicine=c, quantity_received=3)
    people = {role: UserFactory(roles=[role], username=f"{role}_day") for role in ("volunteer", "doctor", "pharmacist")}
    return {"camp": camp, "medicines": (a, b, c), "early": early, "late": late, **people}


def as_role(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: dict, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, **kwargs)


def desk(day, book_no: str, priority: str):
    data = {"book_no": book_no, "name": "Asha", "age_years": "40", "sex": "female", "area": "Kothur", **VITALS}
    data.update(doctor=str(day["doctor"].pk), priority=priority)
    response = post(as_role(day["volunteer"]), "/admin/patients/visit/desk/", data)
    assert response.status_code == 200, response.content[:500]
    assert b"Token " in response.content
    return Visit.objects.get(patient__book_no=book_no)


def consultation_form(consultation, rows: list[dict]) -> dict:
    data = {
        "chief_complaint": "fever",
        "diagnosis": "viral fever",
        "advice": "fluids",
        "counselling_status": "not_required",
        "prescriptions-TOTAL_FORMS": str(len(rows)),
        "prescriptions-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "time_slots":
                data[f"prescriptions-{i}-{key}"] = value
            else:
                data[f"prescriptions-{i}-{key}"] = str(value)
        data[f"prescriptions-{i}-consultation"] = str(consultation.pk)
    return data


def walk_in_admin(day) -> dict:
    a, b, c = day["medicines"]
    first = desk(day, "ADM-0", "normal")
    visit = desk(day, "ADM-1", "urgent")
    doctor = as_role(day["doctor"])
    queue = doctor.get("/admin/consultations/queueentry/")
    assert queue.status_code == 302 and queue["Location"].endswith("?mine=1")  # a doctor's queue opens on their own
    rows = list(doctor.get("/admin/consultations/queueentry/?mine=1").context["cl"].result_list)
    assert [r.visit_id for r in rows] == [visit.pk, first.pk]  # urgent above normal, though it came later
    entry = QueueEntry.objects.get(visit=visit)
    started = post(doctor, f"/admin/consultations/queueentry/{entry.pk}/start/", {})
    consultation = Consultation.objects.get(queue_entry=entry)
    assert started["Location"].endswith(f"/admin/consultations/consultation/{consultation.pk}/change/")
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    two = [
        {"medicine": a.pk, "quantity": 6, "days": 3, "time_slots": ["morning", "night"]},
        {"medicine": b.pk, "quantity": 4, "days": 2, "time_slots": ["morning", "night"]},
    ]
    assert post(doctor, url, consultation_form(consultation, two)).status_code == 302
    kept, other = sorted(Prescription.objects.filter(consultation=consultation), key=lambda p: p.medicine_id != a.pk)
    replace = [
        {"id": kept.pk, "medicine": a.pk, "quantity": 6, "days": 3, "time_slots": ["morning", "night"]},
        {"id": other.pk, "medicine": c.pk, "quantity": 4, "days": 2, "time_slots": ["morning", "night"]},
    ]
    assert post(doctor, url, consultation_form(consultation, replace)).status_code == 302
    current = [
        {"id": p.pk, "medicine": p.medicine_id, "quantity": p.quantity, "days": p.days, "time_slots": p.time_slots}
        for p in Prescription.objects.filter(consultation=consultation, status="active").order_by("id")
    ]
    done = post(doctor, url, {**consultation_form(consultation, current), "_complete": "Save and complete"})
    assert done.status_code == 302 and done["Location"].endswith("?mine=1")
    return {"visit": visit, "consultation": consultation}


def test_one_patient_through_admin_alone(camp_day, audit):
    a, b, c = camp_day["medicines"]
    walk = walk_in_admin(camp_day)
    visit = walk["visit"]
    active = {p.medicine_id: p for p in Prescription.objects.filter(consultation=walk["consultation"], status="active")}
    assert set(active) == {a.pk, c.pk}  # b was replaced by c
    pharmacist = as_role(camp_day["pharmacist"])
    page = pharmacist.get(f"/admin/patients/visit/{visit.pk}/pickup/")
    assert page.status_code == 200 and camp_day["early"].batch_no in page.content.decode()
    done = post(
        pharmacist, f"/admin/patients/visit/{visit.pk}/pickup/", {f"quantity-{active[a.pk].pk}": "6"}, follow=True
    )
    assert "Handed over 6 units" in done.content.decode()
    camp_day["early"].refresh_from_db()
    camp_day["late"].refresh_from_db()
    assert (camp_day["early"].quantity_on_hand, camp_day["late"].quantity_on_hand) == (4, 100)  # earliest expiry first
    before = list(StockBatch.objects.order_by("id").values_list("quantity_on_hand", flat=True))
    refused = post(pharmacist, f"/admin/patients/visit/{visit.pk}/pickup/", {f"quantity-{active[c.pk].pk}": "4"})
    assert refused.status_code == 200 and "Not done: Only 3 of" in refused.content.decode()
    assert list(StockBatch.objects.order_by("id").values_list("quantity_on_hand", flat=True)) == before
    active[c.pk].refresh_from_db()
    assert active[c.pk].quantity_dispensed == 0
    slip = pharmacist.get(f"/admin/patients/visit/{visit.pk}/slip/").content.decode()
    assert a.name in slip and c.name in slip and b.name not in slip and "size: A5" in slip
    assert audit.one("visit.slip_viewed")["visit_id"] == visit.pk


def _same_moment(changes: dict | None) -> dict | None:
    # Times differ between two walks; whether a time was set does not.
    if changes is None:
        return None
    return {k: ({s: v[s] is not None for s in v} if k.endswith("_at") else v) for k, v in changes.items()}


def change_events(events: list[dict]) -> list[tuple]:
    """What a walk changed: names, outcomes and old/new values (ids and times differ between walks)."""
    kept = [e for e in events if e["action"] not in ("read", "login", "logout") and not e["event"].startswith("user.")]
    return [(e["event"], e["outcome"], e.get("reason"), _same_moment(e.get("changes"))) for e in kept]


def walk_through_api(day, client_for) -> None:
    a, b, c = day["medicines"]
    vol, doc, pharma = client_for(day["volunteer"]), client_for(day["doctor"]), client_for(day["pharmacist"])
    ids = []
    for book_no, priority in (("API-0", "normal"), ("API-1", "urgent")):
        person = {"book_no": book_no, "name": "Asha", "age_years": 40, "sex": "female", "area": "Kothur"}
        patient = vol.post("/api/v1/patients/", person, format="json").json()
        visit = vol.post(f"/api/v1/patients/{patient['id']}/visits/", {"camp": day["camp"].pk}, format="json").json()
        vitals = {k: float(v) if "." in v or k in ("weight_kg", "height_cm") else int(v) for k, v in VITALS.items()}
        assert vol.post(f"/api/v1/visits/{visit['id']}/vitals/", vitals, format="json").status_code == 201
        entry = {"visit": visit["id"], "doctor": day["doctor"].pk, "priority": priority}
        ids.append((visit["id"], vol.post("/api/v1/queue/", entry, format="json").json()["id"]))
    visit_id, entry_id = ids[1]
    consultation = doc.post("/api/v1/consultations/", {"queue_entry": entry_id}, format="json").json()
    url = f"/api/v1/consultations/{consultation['id']}/"
    clinical = {"chief_complaint": "fever", "diagnosis": "viral fever", "advice": "fluids"}
    assert doc.patch(url, clinical, format="json").status_code == 200
    written = [
        doc.post(
            f"{url}prescriptions/",
            {"medicine": m.pk, "quantity": q, "days": d, "time_slots": ["morning", "night"]},
            format="json",
        ).json()
        for m, q, d in ((a, 6, 3), (b, 4, 2))
    ]
    replaced = doc.patch(f"/api/v1/prescriptions/{written[1]['id']}/", {"medicine": c.pk}, format="json").json()
    assert doc.patch(f"/api/v1/queue/{entry_id}/", {"status": "completed"}, format="json").status_code == 200
    dispense = f"/api/v1/visits/{visit_id}/dispense/"
    assert (
        pharma.post(dispense, {"items": [{"prescription": written[0]["id"], "quantity": 6}]}, format="json").status_code
        == 200
    )
    assert (
        pharma.post(dispense, {"items": [{"prescription": replaced["id"], "quantity": 4}]}, format="json").status_code
        == 409
    )


def test_the_admin_walk_logs_what_the_api_walk_logs(camp_day, client_for, audit):
    a, b, c = camp_day["medicines"]
    audit.clear()
    walk = walk_in_admin(camp_day)
    active = {p.medicine_id: p for p in Prescription.objects.filter(consultation=walk["consultation"], status="active")}
    pharmacist = as_role(camp_day["pharmacist"])
    post(pharmacist, f"/admin/patients/visit/{walk['visit'].pk}/pickup/", {f"quantity-{active[a.pk].pk}": "6"})
    post(pharmacist, f"/admin/patients/visit/{walk['visit'].pk}/pickup/", {f"quantity-{active[c.pk].pk}": "4"})
    in_admin = list(audit.events)
    StockBatch.objects.filter(pk=camp_day["early"].pk).update(quantity_on_hand=10)  # the same stock again
    StockBatch.objects.filter(medicine=b).update(quantity_on_hand=100)
    audit.clear()
    walk_through_api(camp_day, client_for)
    through_api = list(audit.events)
    assert change_events(in_admin) == change_events(through_api)
    assert len(change_events(in_admin)) > 20
    assert {e["source"] for e in in_admin if e["action"] != "login"} == {"admin"}


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_and_pickup_page_run_fixed_queries(camp_day):
    camp, (a, b, c) = camp_day["camp"], camp_day["medicines"]
    staff = as_role(UserFactory(roles=["admin"]))
    visit = VisitFactory(camp=camp, status="consulted")
    consultation = Consultation.objects.create(visit=visit, doctor=camp_day["doctor"])
    for medicine in (a, b):
        Prescription.objects.create(consultation=consultation, medicine=medicine, quantity=2)
    small = (count(staff, "/admin/"), count(staff, f"/admin/patients/visit/{visit.pk}/pickup/"))
    for _ in range(15):
        other = VisitFactory(camp=camp, status="queued")
        QueueEntry.objects.create(visit=other, doctor=camp_day["doctor"])
    for medicine in (c, MedicineFactory()):
        Prescription.objects.create(consultation=consultation, medicine=medicine, quantity=1)
        StockBatchFactory(medicine=medicine, expiry_date=timezone.localdate() + dt.timedelta(days=5))
    assert (count(staff, "/admin/"), count(staff, f"/admin/patients/visit/{visit.pk}/pickup/")) == small


def test_the_dashboard_shows_the_camp_at_a_glance(camp_day):
    camp = camp_day["camp"]
    desk(camp_day, "GL-1", "urgent")
    page = as_role(camp_day["volunteer"]).get("/admin/").content.decode()
    assert camp.name in page and "Patients at each stage now" in page and "Queued" in page
    assert "camp-chart" in page and "registrations" in page  # the chart is drawn by the server
    assert camp_day["doctor"].display_name() in page
    low = camp_day["medicines"][2]  # 3 on hand, reorder at 50
    assert f"{low.name} {low.formulation}" in page
    assert Patient.objects.filter(book_no="GL-1").exists()


def test_the_desk_refuses_bad_vitals_with_nothing_written(camp_day):
    data = {"book_no": "BAD-1", "name": "Asha", "age_years": "40", "sex": "female", "area": "Kothur", **VITALS}
    data["pulse"] = "400"
    page = post(as_role(camp_day["volunteer"]), "/admin/patients/visit/desk/", data)
    assert page.status_code == 200 and "Pulse must be between" in page.content.decode()
    assert not Patient.objects.filter(book_no="BAD-1").exists()


def test_a_doctor_sees_only_doctors_in_the_doctor_filter(camp_day):
    page = as_role(camp_day["doctor"]).get("/admin/consultations/queueentry/?mine=1").content.decode()
    assert camp_day["doctor"].display_name() in page
    assert camp_day["volunteer"].display_name() not in page
