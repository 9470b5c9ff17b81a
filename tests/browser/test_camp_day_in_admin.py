"""One patient through Django admin alone, in Chromium: desk, doctor's queue, consultation, pickup, slip."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consultations.models import Prescription
from patients.models import Visit
from pharmacy.models import StockBatch
from tests.browser.conftest import ARTIFACTS, admin_login
from tests.factories import (
    PASSWORD,
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    StockBatchFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"camp-day-{name}.png"), full_page=True)


def register_at_desk(page, live_server, book_no: str, priority: str, doctor) -> str:
    page.goto(f"{live_server.url}/admin/patients/visit/desk/")
    for name, value in {
        "book_no": book_no,
        "name": f"Patient {book_no}",
        "age_years": "52",
        "area": "Kothur",
        "bp_systolic": "150",
        "bp_diastolic": "95",
        "pulse": "88",
        "rbs": "210",
        "weight_kg": "64",
        "height_cm": "160",
    }.items():
        page.fill(f"#id_{name}", value)
    page.select_option("#id_doctor", str(doctor.pk))
    page.select_option("#id_priority", priority)
    page.click("#register")
    return page.inner_text("h2.token")


def trail(**scope) -> list[tuple[str, str, str]]:
    """The stored events of one visit or patient: (event, outcome, who), in order, reads left out."""
    rows = AuditEvent.objects.filter(**scope).exclude(action="read").order_by("id")
    return list(rows.values_list("event", "outcome", "actor_username"))


def test_one_patient_through_admin_in_chromium(browser, live_server):
    camp = CampFactory(status="active", name="Kothur camp")
    a, b, c = MedicineFactory(), MedicineFactory(), MedicineFactory()
    today = timezone.localdate()
    early = StockBatchFactory(medicine=a, expiry_date=today + dt.timedelta(days=15), quantity_received=10)
    StockBatchFactory(medicine=a, expiry_date=today + dt.timedelta(days=400), quantity_received=100)
    StockBatchFactory(medicine=b, quantity_received=100)
    StockBatchFactory(medicine=c, quantity_received=3)
    UserFactory(username="vol_walk", roles=["volunteer"])
    doctor = UserFactory(username="dr_walk", roles=["doctor"], first_name="Meena", last_name="Iyer")
    UserFactory(username="ph_walk", roles=["pharmacist"])

    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    admin_login(desk, live_server, "vol_walk", PASSWORD)
    register_at_desk(desk, live_server, "WALK-0", "normal", doctor)
    token = register_at_desk(desk, live_server, "WALK-1", "urgent", doctor)
    assert token.startswith("Token ")
    shot(desk, "1-desk-token")
    desk.goto(f"{live_server.url}/admin/patients/visit/desk/")
    desk.fill("#id_q", "patient walk-0")
    desk.press("#id_q", "Enter")
    assert "Patient WALK-0" in desk.wait_for_selector("#desk-found").inner_text()

    clinic = browser.new_page(viewport={"width": 1280, "height": 900})
    admin_login(clinic, live_server, "dr_walk", PASSWORD)
    clinic.goto(f"{live_server.url}/admin/consultations/queueentry/")
    clinic.wait_for_selector("#result_list")
    rows = clinic.locator("#result_list tbody tr")
    assert "Patient WALK-1" in rows.nth(0).inner_text() and "Urgent" in rows.nth(0).inner_text()
    assert "Patient WALK-0" in rows.nth(1).inner_text()  # urgent above normal, though registered later
    shot(clinic, "2-my-queue")
    rows.nth(0).locator("button.start").click()
    clinic.wait_for_selector("#consultation_form")
    clinic.fill("#id_diagnosis", "hypertension, diabetes")
    clinic.select_option("#id_prescriptions-0-medicine", str(a.pk))
    clinic.fill("#id_prescriptions-0-quantity", "6")
    clinic.fill("#id_prescriptions-0-days", "3")
    clinic.check("#id_prescriptions-0-time_slots_0")
    clinic.check("#id_prescriptions-0-time_slots_2")
    clinic.click("#prescriptions-group .add-row a")
    clinic.select_option("#id_prescriptions-1-medicine", str(b.pk))
    clinic.fill("#id_prescriptions-1-quantity", "4")
    clinic.click("input[name=_continue]")
    clinic.wait_for_selector(".messagelist .success")
    second = Prescription.objects.get(medicine=b, status="active")
    row = clinic.locator("#prescriptions-group tr.has_original").filter(has_text="")  # rows in id order
    assert row.count() == 2
    clinic.select_option("#id_prescriptions-1-medicine", str(c.pk))  # replace the second medicine
    clinic.click("input[name=_continue]")
    clinic.wait_for_selector(".messagelist .success")
    second.refresh_from_db()
    assert second.status == "replaced" and Prescription.objects.filter(medicine=c, status="active").count() == 1
    shot(clinic, "3-consultation")
    clinic.fill("#id_advice", "salt less food; walk daily")  # typed, never saved by hand
    clinic.click("input.save-and-complete")
    clinic.wait_for_selector(".messagelist .success")
    assert "the patient goes to the pharmacy" in clinic.inner_text(".messagelist")
    assert Prescription.objects.get(medicine=c, status="active").consultation.advice == "salt less food; walk daily"
    clinic.goto(f"{live_server.url}/admin/consultations/queueentry/")
    clinic.locator("#result_list tbody tr").filter(has_text="Patient WALK-0").locator("button.start").click()
    clinic.wait_for_selector("#consultation_form")
    clinic.fill("#id_diagnosis", "common cold")  # nothing prescribed
    clinic.click("input.save-and-complete")
    assert "nothing to dispense" in clinic.wait_for_selector(".messagelist .success").inner_text()

    pharmacy = browser.new_page(viewport={"width": 1280, "height": 900})
    admin_login(pharmacy, live_server, "ph_walk", PASSWORD)
    pharmacy.goto(f"{live_server.url}/admin/patients/visit/?pickup=waiting")
    pharmacy.click("a.pickup-link")
    pharmacy.wait_for_selector("#pickup-lines")
    assert early.batch_no in pharmacy.inner_text("#pickup-lines")  # the batch used first is shown
    last = Prescription.objects.get(medicine=c, status="active")
    last_input = f"tr.pickup-line[data-prescription='{last.pk}'] input"
    pharmacy.fill(last_input, "0")  # only what stock allows today
    pharmacy.click("#dispense")
    pharmacy.wait_for_selector(".messagelist .success")
    early.refresh_from_db()
    assert early.quantity_on_hand == 4  # 6 taken from the earliest-expiring batch
    shot(pharmacy, "4-pickup-done")
    before = list(StockBatch.objects.order_by("id").values_list("quantity_on_hand", flat=True))
    pharmacy.fill(last_input, "4")
    pharmacy.click("#dispense")
    error = pharmacy.wait_for_selector(".messagelist .error").inner_text()
    assert "Only 3 of" in error
    assert list(StockBatch.objects.order_by("id").values_list("quantity_on_hand", flat=True)) == before
    shot(pharmacy, "5-pickup-refused")
    pharmacy.click("a.slip-link")
    pharmacy.wait_for_selector("div.prescription")
    slip = pharmacy.inner_text("body")
    assert a.name in slip and c.name in slip and b.name not in slip and token in slip
    pharmacy.emulate_media(media="print")
    shot(pharmacy, "6-slip")
    desk.goto(f"{live_server.url}/admin/")
    desk.wait_for_selector("#camp-day")
    assert "patients at each stage now" in desk.inner_text("#camp-day").lower()
    shot(desk, "7-dashboard")
    for page in (desk, clinic, pharmacy):
        page.close()
    assert_the_trail_tells_the_day(camp)


def assert_the_trail_tells_the_day(camp) -> None:
    """Each step of the walk is in the store: the desk's search, both completions, the pickup."""
    searched = AuditEvent.objects.filter(event="patient.searched", source="admin", actor_username="vol_walk")
    assert searched.count() == 1 and '"door":"desk"' in searched.get().data.replace(" ", "")
    urgent = Visit.objects.get(camp=camp, patient__book_no="WALK-1")
    walk = [event for event, outcome, who in trail(visit_id=urgent.pk) if outcome == "success"]
    assert walk[:4] == ["visit.registered", "vitals.recorded", "visit.status_changed", "queue.assigned"], walk
    assert walk[4:8] == ["visit.status_changed", "queue.status_changed", "consultation.opened", "visit.status_changed"]
    # Save and complete: the advice typed last is saved, then the queue entry and the visit move on.
    assert walk[-6:] == [
        "prescription.created",
        "consultation.updated",
        "queue.status_changed",
        "visit.status_changed",
        "prescription.dispensed",
        "visit.picked_up",
    ], walk
    refused = [who for event, outcome, who in trail(visit_id=urgent.pk) if outcome == "failure"]
    assert refused == ["ph_walk"]  # the dispense stock refused
    plain = Visit.objects.get(camp=camp, patient__book_no="WALK-0")
    assert plain.status == "completed"
    moved = AuditEvent.objects.filter(visit_id=plain.pk, event="visit.status_changed").order_by("id").last()
    assert moved is not None and moved.actor_username == "dr_walk" and "nothing to dispense" in moved.data


def test_a_pharmacist_closes_a_visit_with_nothing_prescribed(browser, live_server):
    """A visit that reached the pharmacy with nothing on it is closed there, and the trail says who did it."""
    UserFactory(username="ph_close", roles=["pharmacist"])
    visit = VisitFactory(patient__name="Nothing Prescribed", status=Visit.Status.CONSULTED)
    ConsultationFactory(queue_entry__visit=visit, queue_entry__status="completed")
    page = browser.new_page(viewport={"width": 390, "height": 800})
    admin_login(page, live_server, "ph_close", PASSWORD)
    page.goto(f"{live_server.url}/admin/patients/visit/{visit.pk}/pickup/")
    assert "Nothing to dispense" in page.inner_text(".pickup-done")
    shot(page, "8-close-nothing-prescribed-phone")
    page.click("#close-visit")
    page.wait_for_selector(".messagelist .success")
    assert Visit.objects.get(pk=visit.pk).status == "completed"
    assert trail(visit_id=visit.pk)[-1] == ("visit.status_changed", "success", "ph_close")
    page.close()
