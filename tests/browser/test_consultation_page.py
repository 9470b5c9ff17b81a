"""A doctor in Chromium: the consultation page shows the patient, and Save and complete keeps every word."""

from __future__ import annotations

import pytest

from consultations.models import Consultation, Prescription, QueueEntry
from patients.models import Visit
from tests.browser.conftest import ARTIFACTS, signed_in
from tests.factories import (
    PASSWORD,
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    QueueEntryFactory,
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
        context, page = signed_in(browser, live_server, "dr_page", PASSWORD, width)
        page.goto(url)
        header = page.inner_text(".patient-header")
        assert "Sunita Devi" in header and "52 years" in header and "KP-114" in header
        assert "BP 162/98" in page.inner_text(".vital-flags") and "RBS 240" in page.inner_text(".vital-flags")
        assert page.locator("input.save-and-complete").is_visible()
        assert page.locator("#prescriptions-group select:visible").count() == 1  # the template row stays hidden
        for field in ("medicine", "quantity", "days", "time_slots_0", "instructions"):
            box = page.locator(f"#id_prescriptions-0-{field}").bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, f"{field} is off the screen at {width}"
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


def test_the_doctors_queue_reads_one_line_per_patient_at_both_widths(browser, live_server):
    doctor = UserFactory(username="dr_queue", roles=["doctor"])
    a_patient_in_consultation(doctor)
    for name, age in (("Lakshmi Narasimha Reddy", 67), ("Ramu Goud", 45), ("Yadamma", 30)):
        entry = QueueEntryFactory(doctor=doctor, visit__patient__name=name, visit__patient__age_years=age)
        VitalsFactory(visit=entry.visit, bp_systolic=128, bp_diastolic=82, pulse=76, rbs=110, spo2=98)
    for width, label in ((1280, "desktop"), (390, "phone")):
        context, page = signed_in(browser, live_server, "dr_queue", PASSWORD, width)
        page.goto(f"{live_server.url}/admin/consultations/queueentry/?mine=1")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 4
        for i in range(4 if width >= 768 else 0):  # on a phone a very long name may take two lines
            name_box = rows.nth(i).locator("td.field-patient .nowrap").bounding_box()
            assert name_box is not None and name_box["height"] < 30, "a name wraps onto a second line"
        assert "BP 162/98" in page.inner_text("#result_list")
        page.screenshot(path=str(ARTIFACTS / f"doctor-queue-{label}.png"), full_page=True)
        shown = page.locator("#changelist .results").bounding_box()  # the box the table scrolls inside
        assert shown is not None
        for button in page.locator("#result_list .start, #result_list .open-consultation").all():
            box = button.bounding_box()
            right = min(width, shown["x"] + shown["width"])
            assert box is not None and box["x"] + box["width"] <= right, f"the next step is hidden at {width}"
        context.close()
