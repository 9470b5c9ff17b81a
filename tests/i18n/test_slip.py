"""The slip in the patient's language: asked at the desk (the camp's unless the patient reads another),
printed in it whoever prints it; the dose in words, the days and the known instructions translated,
medicine names as written."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.test import Client, TestCase
from django.utils import translation

from consultations import slip
from consultations.models import Prescription
from patients.models import Patient
from pharmacy.models import Medicine
from tests.admin.test_camp_day_pages import VITALS
from tests.factories import (
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    PrescriptionFactory,
    QueueEntryFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def _visit(patient_language: str, camp_language: str):
    visit = VisitFactory(
        patient=PatientFactory(preferred_language=patient_language), camp=CampFactory(language=camp_language)
    )
    consultation = ConsultationFactory(queue_entry=QueueEntryFactory(visit=visit))
    tablet = MedicineFactory(name="Paracetamol", type="tablet", formulation="500 mg")
    PrescriptionFactory(
        consultation=consultation,
        medicine=tablet,
        quantity=6,
        days=3,
        time_slots=["morning", "night"],
        instructions="After food.",
    )
    return visit


def _printed(visit, by_language: str = "en") -> tuple[str, str]:
    pharmacist = UserFactory(roles=["pharmacist"], language=by_language)
    client = Client()
    client.force_login(pharmacist)
    page = client.get(f"/admin/patients/visit/{visit.pk}/slip/")
    assert page.status_code == 200
    return page["Content-Language"], page.content.decode()


def test_the_slip_speaks_the_patients_language_whoever_prints_it(audit):
    language, page = _printed(_visit("te", "hi"), by_language="hi")
    assert language == "te" and '<html lang="te">' in page
    assert "ఒక మాత్ర" in page and "భోజనం తర్వాత" in page and "3 రోజులు" in page
    assert "Paracetamol 500 mg" in page  # the catalogue's name, as written
    assert audit.one("visit.slip_viewed")["message"].isascii()


def test_without_a_patients_choice_the_camps_language_prints():
    language, page = _printed(_visit("", "hi"), by_language="te")
    assert language == "hi" and "एक गोली" in page and "खाना खाने के बाद" in page and "3 दिन तक" in page


@pytest.mark.parametrize(
    ("kind", "quantity", "days", "slots", "hindi", "telugu"),
    [
        ("tablet", 3, 3, ["night"], "एक गोली", "ఒక మాత్ర"),
        ("tablet", 1, 2, ["morning"], "आधी गोली", "అర మాత్ర"),
        ("tablet", 12, 3, ["morning", "night"], "दो गोलियाँ", "రెండు మాత్రలు"),
        ("capsule", 9, 3, ["morning", "afternoon", "night"], "एक कैप्सूल", "ఒక క్యాప్సూల్"),
        ("tablet", 5, 2, ["morning", "night"], "गोली", "మాత్ర"),  # does not divide: the form, no count
        ("syrup", 1, 5, ["morning", "night"], "सिरप", "సిరప్"),
        ("tablet", 10, None, ["morning"], "गोली", "మాత్ర"),  # no days: no count
    ],
)
def test_the_dose_in_words(kind, quantity, days, slots, hindi, telugu):
    medicine = Medicine(name="Any", type=kind, formulation="1")
    prescription = Prescription(medicine=medicine, quantity=quantity, days=days, time_slots=slots)
    for language, words in (("hi", hindi), ("te", telugu)):
        with translation.override(language):
            assert slip.dose_words(medicine, slip.per_slot(prescription)) == words


def test_known_instructions_translate_and_others_print_as_written():
    assert slip.per_slot(Prescription(quantity=3, days=2, time_slots=["night"])) == Fraction(3, 2)
    with translation.override("te"):
        assert slip.instructions("  before   FOOD ") == "భోజనానికి ముందు"
        assert slip.instructions("take with warm milk") == "take with warm milk"


def test_the_desk_asks_the_language_and_a_returning_patients_answer_is_kept(audit):
    CampFactory(status="active", language="te")
    returning = PatientFactory(book_no="KT-0007", preferred_language="hi")
    desk = Client()
    desk.force_login(UserFactory(roles=["volunteer"]))
    new_form = desk.get("/admin/patients/visit/desk/").content.decode()
    assert '<option value="te" selected>' in new_form  # a new patient: the camp's language first
    their_form = desk.get("/admin/patients/visit/desk/?book_no=kt-0007").content.decode()
    assert '<option value="hi" selected>' in their_form  # a returning one: theirs
    with TestCase.captureOnCommitCallbacks(execute=True):
        desk.post("/admin/patients/visit/desk/", {"book_no": "KT-0007", "preferred_language": "te", **VITALS})
    assert Patient.objects.get(pk=returning.pk).preferred_language == "te"
    changed = audit.one("patient.updated")
    assert changed["changes"] == {"preferred_language": {"old": "hi", "new": "te"}} and changed["source"] == "admin"
    with TestCase.captureOnCommitCallbacks(execute=True):
        desk.post(
            "/admin/patients/visit/desk/",
            {"name": "Ravi", "age_years": "30", "sex": "male", "area": "Kothur", "preferred_language": "hi", **VITALS},
        )
    assert Patient.objects.get(name="Ravi").preferred_language == "hi"
