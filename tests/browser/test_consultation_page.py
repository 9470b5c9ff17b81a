"""A doctor in Chromium: the consultation page shows the patient, and Save and complete keeps every word."""

from __future__ import annotations

import pytest

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from tests.browser.conftest import ARTIFACTS, admin_login
from tests.factories import (
    PASSWORD,
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    UserFactory,
    VisitFactory,
    VitalsFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_patient_in_consultation(doctor) -> Consultation:
    patient = PatientFactory(name="Sunita Devi", age_years=52, sex="female", book_no="KP-114", area="Kondapur")
    visit = VisitFactory(patient=patient, status=Visit.Status.IN_CONSULTATION, camp=CampFactory(status="active"))
    consultation = ConsultationFactory(
        queue_entry__visit=visit, queue_entry__doctor=doctor, diagnosis="", advice="", chief_complaint="giddiness"
    )
    VitalsFactory(visit=visit, bp_systolic=162, bp_diastolic=98, pulse=88, rbs=240, spo2=97)
    return consultation


def test_save_and_complete_in_chromium_at_both_widths(browser, live_server):
    doctor = UserFactory(username="dr_page", roles=["doctor"])
    medicine = MedicineFactory(name="Amlodipine", formulation="5 mg")
    consultation = a_patient_in_consultation(doctor)
    url = f"{live_server.url}/admin/consultations/consultation/{consultation.pk}/change/"
    ARTIFACTS.mkdir(exist_ok=True)
    for width, name in ((390, "phone"), (1280, "desktop")):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        admin_login(page, live_server, "dr_page", PASSWORD)
        page.goto(url)
        header = page.inner_text(".patient-header")
        assert "Sunita Devi" in header and "52 years" in header and "KP-114" in header
        assert "BP 162/98" in page.inner_text(".vital-flags") and "RBS 240" in page.inner_text(".vital-flags")
        assert page.locator("input.save-and-complete").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"consultation-page-{name}.png"), full_page=True)
        if name == "desktop":
            page.fill("#id_diagnosis", "hypertension")
            page.fill("#id_advice", "less salt; come back in a month")
            page.select_option("#id_prescriptions-0-medicine", str(medicine.pk))
            page.fill("#id_prescriptions-0-quantity", "30")
            page.fill("#id_prescriptions-0-days", "30")
            page.check("#id_prescriptions-0-time_slots_0")
            page.click("input.save-and-complete")  # never pressed Save: nothing may be lost
            page.wait_for_selector(".messagelist .success")
            assert "the patient goes to the pharmacy" in page.inner_text(".messagelist")
            page.screenshot(path=str(ARTIFACTS / "consultation-completed-desktop.png"), full_page=True)
        context.close()
    consultation.refresh_from_db()
    assert (consultation.diagnosis, consultation.advice) == ("hypertension", "less salt; come back in a month")
    assert Prescription.objects.get(consultation=consultation).medicine == medicine
    assert QueueEntry.objects.get(pk=consultation.queue_entry_id).status == "completed"
