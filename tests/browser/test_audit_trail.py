"""An auditor follows a patient's trail in a real browser; a doctor finds no audit screens."""

from __future__ import annotations

import csv

import pytest

from patients import services as patient_services
from tests.browser.conftest import ARTIFACTS, admin_login
from tests.factories import PASSWORD, PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_follows_a_patients_trail_opens_an_event_and_exports_it(page, live_server, audit):
    admin = UserFactory(roles=["admin"])
    patient = PatientFactory(book_no="TR-0007", name="Lakshmi")
    for area in ("Ward A", "Ward B"):
        patient_services.patient_update(by=admin, patient_id=patient.pk, area=area)
    PatientFactory()  # someone else's events must not show
    UserFactory(username="aud_browser", roles=["auditor"])
    admin_login(page, live_server, "aud_browser", PASSWORD)
    page.goto(f"{live_server.url}/admin/patients/patient/{patient.pk}/change/")
    page.click("a.audit-trail")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4  # created, two updates, and the auditor's own reading of the page
    assert "patient.updated" in page.inner_text("#result_list")
    page.screenshot(path=str(ARTIFACTS / "audit-trail-list.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("a.export-csv")
    exported = ARTIFACTS / "audit-trail.csv"
    download_info.value.save_as(exported)
    with exported.open() as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == 1 + 4 and all(line[12] in ("", str(patient.pk)) for line in lines[1:])
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_selector("text=the whole event")
    assert "TR-0007" in page.content() or "patient" in page.inner_text("#content")
    exported_event = audit.one("audit.exported")
    assert exported_event["details"]["count"] == 4 and exported_event["actor"]["username"] == "aud_browser"


def test_a_doctor_gets_no_audit_screens(page, live_server):
    UserFactory(username="dr_no_audit", roles=["doctor"])
    patient = PatientFactory()
    admin_login(page, live_server, "dr_no_audit", PASSWORD)
    assert "Audit events" not in page.inner_text("#content")
    response = page.goto(f"{live_server.url}/admin/audit/auditevent/")
    assert response.status == 403
    page.goto(f"{live_server.url}/admin/patients/patient/{patient.pk}/change/")
    assert page.locator("a.audit-trail").count() == 0
