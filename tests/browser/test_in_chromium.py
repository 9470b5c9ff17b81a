"""What doctors, pharmacists and auditors do in admin, and the API docs, in a real browser."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from consultations.models import Consultation, QueueEntry
from patients import services as patient_services
from pharmacy.models import StockBatch
from tests.browser.conftest import admin_login
from tests.factories import PASSWORD, MedicineFactory, PatientFactory, UserFactory, VisitFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_doctor_edits_a_consultation(page, live_server, audit):
    doctor = UserFactory(username="dr_browser", roles=["doctor"])
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry, chief_complaint="fever")
    admin_login(page, live_server, "dr_browser", PASSWORD)
    page.goto(f"{live_server.url}/admin/consultations/consultation/{consultation.pk}/change/")
    page.fill("#id_diagnosis", "viral fever")
    page.fill("#id_advice", "fluids and rest")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    consultation.refresh_from_db()
    assert (consultation.diagnosis, consultation.advice) == ("viral fever", "fluids and rest")
    event = audit.one("consultation.updated")
    assert event["source"] == "admin" and event["actor"]["username"] == "dr_browser"
    assert event["changes"]["diagnosis"] == {"old": "", "new": "viral fever"}


def test_a_pharmacist_receives_stock(page, live_server, audit):
    UserFactory(username="ph_browser", roles=["pharmacist"])
    medicine = MedicineFactory(name="Cetirizine", formulation="10 mg")
    admin_login(page, live_server, "ph_browser", PASSWORD)
    page.goto(f"{live_server.url}/admin/pharmacy/stockbatch/add/")
    page.select_option("#id_medicine", str(medicine.pk))
    page.fill("#id_batch_no", "ctz-2291")
    page.fill("#id_expiry_date", (timezone.localdate() + dt.timedelta(days=400)).isoformat())
    page.fill("#id_quantity_received", "250")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    batch = StockBatch.objects.get(batch_no="CTZ-2291")
    assert (batch.medicine_id, batch.quantity_on_hand) == (medicine.pk, 250)
    assert audit.one("stock.received")["source"] == "admin"
    page.goto(f"{live_server.url}/admin/pharmacy/medicine/")
    assert "250" in page.inner_text("#result_list")


def test_an_auditor_reads_a_patients_history_and_cannot_change_it(page, live_server):
    patient = PatientFactory(name="Savitri Bai", area="Kothur")
    volunteer = UserFactory(username="vol_browser", first_name="Vimala", last_name="Rao", roles=["volunteer"])
    patient_services.patient_update(by=volunteer, patient_id=patient.pk, area="Kothur East")
    UserFactory(username="aud_browser", roles=["auditor"])
    admin_login(page, live_server, "aud_browser", PASSWORD)
    page.goto(f"{live_server.url}/admin/patients/patient/{patient.pk}/history/")
    table = page.inner_text("#change-history")
    assert "Area:" in table and "Kothur" in table and "Kothur East" in table
    assert "Vimala Rao" in table  # who changed it
    page.click("#change-history tbody tr:last-child a")  # the first version
    page.wait_for_selector("#content")
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("input[type=submit]").count() == 0
    assert page.locator(".deletelink").count() == 0
    page.goto(f"{live_server.url}/admin/patients/patient/{patient.pk}/change/")
    assert page.locator("input[type=submit]").count() == 0 and page.locator(".deletelink").count() == 0


def test_swagger_ui_loads_from_our_own_static_files(page, live_server):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 30
    assert any("/api/v1/visits/{id}/dispense/" in p.replace("\u200b", "") for p in paths)
    hosts = {urlsplit(url).netloc for url in requested if url.startswith("http")}
    assert hosts == {urlsplit(live_server.url).netloc}, hosts  # nothing from a CDN


def test_admin_sign_in_is_throttled_and_says_when_to_try_again(page, live_server, audit, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    UserFactory(username="dr_locked", roles=["doctor"])
    for attempt in range(3):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "dr_locked")
        page.fill("#id_password", f"guess-{attempt}")
        page.click("input[type=submit]")
        page.wait_for_selector(".errornote")
    page.fill("#id_username", "dr_locked")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    note = page.wait_for_selector(".errornote").inner_text()
    assert "Too many failed sign-ins" in note and "Try again in 5 minutes" in note
    assert page.query_selector("#user-tools") is None  # not signed in
    reasons = [e["reason"] for e in audit.named("auth.login")]
    assert reasons == ["invalid_credentials"] * 3 + ["throttled"]
    assert all(e["source"] == "admin" for e in audit.named("auth.login"))
