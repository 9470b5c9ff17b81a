"""Each role's day's work in Hindi and in Telugu, in Chromium: a volunteer at the desk, a doctor's
queue and consultation, a pharmacist's pickup and the patient's slip. Any English word left on
those pages fails (proper names, medicine names, numbers and units aside); the slip is printed in
the patient's language with fonts that have every glyph. Screenshots at 1280 px and on a 390 px
phone go to test-artifacts/."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from django.conf import settings

from consultations.models import Prescription
from patients.models import Patient, Visit
from tests.browser.conftest import ARTIFACTS, signed_in
from tests.factories import PASSWORD, CampFactory, MedicineFactory, StockBatchFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Units and abbreviations a clinic writes in Latin letters whatever its language; the switcher
# names each language in its own script ("English" among them).
UNITS = {"mmHg", "mg", "dL", "kg", "cm", "ml", "SpO", "MedCamp", *(name for _code, name in settings.LANGUAGES)}
SCRIPTS = {"hi": ("Noto Sans Devanagari", "\u0900", "\u097f"), "te": ("Noto Sans Telugu", "\u0c00", "\u0c7f")}
SHOWN = """() => [document.body.innerText,
  ...[...document.querySelectorAll('input[type=submit], input[type=button], button')].map(e => e.value || ''),
  ...[...document.querySelectorAll('[placeholder]')].map(e => e.placeholder),
  document.title].join('\\n')"""


def english_words(page, names: list[str]) -> list[str]:
    text = page.evaluate(SHOWN)
    for name in sorted(names, key=len, reverse=True):  # admin's CSS writes some names in capitals
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in UNITS]


def look(page, language: str, name: str, names: list[str]) -> None:
    """Screenshots at both widths, and no English word at either; the page is left at 1280 px."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"i18n-{language}-{name}-{width}.png"), full_page=True)
        assert english_words(page, names) == [], f"{name} in {language} at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def fonts_used(context, page, selector: str) -> set[str]:
    """The platform fonts Chromium drew `selector`'s text with (DevTools' CSS.getPlatformFontsForNode)."""
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    used: set[str] = set()
    for node in cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]:
        used |= {f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]}
    cdp.detach()
    return used


def _font_installed(family: str) -> None:
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    if family not in listed:
        if os.environ.get("CI"):
            pytest.fail(f"{family} is missing: .ci/services installs fonts-noto-core")
        pytest.skip(f"needs {family} (apt-get install fonts-noto-core)")


@pytest.mark.parametrize("language", ["hi", "te"])
def test_a_camp_day_in_the_camps_language(browser, live_server, language):
    _font_installed(SCRIPTS[language][0])
    camp = CampFactory(name="Kothur", location="Kothur", language=language)
    medicine = MedicineFactory(name="Paracetamol", type="tablet", formulation="500 mg", unit="tablet")
    StockBatchFactory(medicine=medicine, quantity_received=100)
    people = {
        role: UserFactory(
            username=f"{role}_{language}", roles=[role], language=language, first_name=first, last_name="Rao"
        )
        for role, first in (("volunteer", "Lata"), ("doctor", "Meena"), ("pharmacist", "Ravi"))
    }
    names = [camp.name, medicine.name, medicine.formulation, "Sita Devi", "Rao", "Lata", "Meena", "Ravi"]
    names += [user.username for user in people.values()] + list(medicine.batches.values_list("batch_no", flat=True))

    desk_context, desk = signed_in(browser, live_server, people["volunteer"].username, PASSWORD, 1280)
    desk.goto(f"{live_server.url}/admin/patients/visit/desk/")
    assert desk.get_attribute("html", "lang") == language
    assert desk.input_value("#id_preferred_language") == language  # the camp's, unless the patient says
    look(desk, language, "desk", names)
    for field, value in {"name": "Sita Devi", "age_years": "52", "area": "Kothur", "bp_systolic": "150"}.items():
        desk.fill(f"#id_{field}", value)
    desk.fill("#id_bp_diastolic", "95")
    desk.fill("#id_pulse", "88")
    desk.select_option("#id_doctor", str(people["doctor"].pk))
    desk.click("#register")
    desk.wait_for_selector("h2.token")
    visit = Visit.objects.get(patient__name="Sita Devi")
    names.append(visit.patient.book_no)
    assert Patient.objects.get(pk=visit.patient_id).preferred_language == language
    look(desk, language, "desk-registered", names)
    desk_context.close()

    clinic_context, clinic = signed_in(browser, live_server, people["doctor"].username, PASSWORD, 1280)
    clinic.goto(f"{live_server.url}/admin/consultations/queueentry/?mine=1")
    clinic.wait_for_selector("#result_list")
    look(clinic, language, "queue", names)
    clinic.click("#result_list button.start")
    clinic.wait_for_selector("#consultation_form")
    look(clinic, language, "consultation", names)
    clinic.fill("#id_diagnosis", "उच्च रक्तचाप" if language == "hi" else "అధిక రక్తపోటు")
    clinic.select_option("#id_prescriptions-0-medicine", str(medicine.pk))
    clinic.fill("#id_prescriptions-0-quantity", "6")
    clinic.fill("#id_prescriptions-0-days", "3")
    clinic.check("#id_prescriptions-0-time_slots_0")
    clinic.check("#id_prescriptions-0-time_slots_2")
    clinic.fill("#id_prescriptions-0-instructions", "after food")
    clinic.click("input.save-and-complete")
    clinic.wait_for_selector(".messagelist .success")
    look(clinic, language, "queue-after-consultation", names)
    assert Prescription.objects.get(consultation__visit=visit).status == "active"
    clinic_context.close()

    pharmacy_context, pharmacy = signed_in(browser, live_server, people["pharmacist"].username, PASSWORD, 1280)
    pharmacy.goto(f"{live_server.url}/admin/patients/visit/{visit.pk}/pickup/")
    pharmacy.wait_for_selector("#pickup-lines")
    look(pharmacy, language, "pickup", names)
    pharmacy.click("#dispense")
    pharmacy.wait_for_selector(".messagelist .success")
    look(pharmacy, language, "pickup-done", names)
    pharmacy.goto(f"{live_server.url}/admin/patients/visit/{visit.pk}/slip/")
    pharmacy.wait_for_selector("div.prescription")
    assert pharmacy.get_attribute("html", "lang") == language
    pharmacy.emulate_media(media="print")
    look(pharmacy, language, "slip", names)
    slip = pharmacy.inner_text("body")
    dose, after_food = ("एक गोली", "खाना खाने के बाद") if language == "hi" else ("ఒక మాత్ర", "భోజనం తర్వాత")
    assert slip.count(dose) == 2 and after_food in slip and medicine.name in slip  # morning and night, one each
    assert pharmacy.locator(".slot.afternoon.not-taken").count() == 1
    family, low, high = SCRIPTS[language]
    assert any(low <= char <= high for char in slip)
    used = fonts_used(pharmacy_context, pharmacy, ".slot, .how, h2, .token")
    assert family in used, used  # the script's own font drew it: no missing-glyph boxes
    pharmacy_context.close()
