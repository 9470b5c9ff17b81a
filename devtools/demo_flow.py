"""One demo patient through the real services: registered, measured, seen, given medicines.

Clinically plausible by devtools.demo_clinic: names that match the recorded sex, a body for
the age, vitals for the age, medicines that treat the diagnosis at their usual regimen
(children get the syrup).
"""

from __future__ import annotations

import random

from accounts.models import User
from camps.models import MedicalCamp
from consultations.models import Consultation, Prescription
from consultations.services import consultation, prescriptions
from consultations.services.pickup import Item, visit_dispense
from devtools.demo_clinic import body, dose
from devtools.demo_data import AREAS, COMPLAINTS, FAMILY, FEMALE_FIRST, FEMALE_ONLY, MALE_FIRST
from patients import services as registry
from patients.models import Patient, Visit
from pharmacy.models import Medicine

Catalogue = dict[tuple[str, str], Medicine]


def new_patient(rng: random.Random, vol: User, book_no: str) -> Patient:
    sex = rng.choice(["female", "male"])
    first = rng.choice(FEMALE_FIRST if sex == "female" else MALE_FIRST)
    family = rng.choice(FAMILY + FEMALE_ONLY) if sex == "female" else rng.choice(FAMILY)
    return registry.patient_create(
        by=vol,
        book_no=book_no,
        name=f"{first} {family}",
        age_years=rng.choice([rng.randint(2, 14), rng.randint(15, 85), rng.randint(30, 75)]),
        sex=sex,
        phone=f"9{rng.randint(100000000, 999999999)}" if rng.random() < 0.7 else "",
        area=rng.choice(AREAS),
        preferred_language=rng.choice(["", "", "", "hi", "en"]),  # most read the camp's language
    )


def register(vol: User, patient: Patient, camp: MedicalCamp) -> Visit:
    return registry.visit_register(by=vol, patient_id=patient.pk, camp_id=camp.pk)


def record_vitals(rng: random.Random, vol: User, visit: Visit) -> None:
    patient = visit.patient
    weight, height = body(rng, patient.age_years, patient.sex)
    child = patient.age_years < 18
    systolic = rng.randint(90, 115) if child else rng.choice([rng.randint(105, 135), rng.randint(135, 175)])
    registry.vitals_record(
        by=vol,
        visit_id=visit.pk,
        bp_systolic=systolic,
        bp_diastolic=rng.randint(55, min(75, systolic - 25)) if child else rng.randint(65, min(105, systolic - 25)),
        pulse=rng.randint(80, 115) if child else rng.randint(60, 100),
        rbs=rng.randint(70, 140) if child else rng.choice([rng.randint(80, 160), rng.randint(160, 320)]),
        weight_kg=weight,
        height_cm=height,
        spo2=rng.randint(95, 99) if rng.random() < 0.9 else rng.randint(89, 94),
    )


def consult(
    rng: random.Random, doctor: User, entry_id: int, catalogue: Catalogue, age: int
) -> tuple[Consultation, list[Prescription]]:
    complaint, diagnosis, treats = rng.choice(COMPLAINTS)
    opened = consultation.consultation_open(by=doctor, queue_entry_id=entry_id, chief_complaint=complaint)
    opened = consultation.consultation_update(
        by=doctor,
        consultation_id=opened.pk,
        diagnosis=diagnosis,
        advice="review at the next camp",
        counselling_status="pending" if rng.random() < 0.25 else "not_required",
    )
    wanted = [("Paracetamol", "syrup") if (age < 12 and key == ("Paracetamol", "tablet")) else key for key in treats]
    if age < 15 and rng.random() < 0.3:
        wanted.append(("Albendazole", "tablet"))  # deworming, as camps do for children
    written = []
    for name, form in dict.fromkeys(wanted):
        quantity, days, slots, instructions = dose(rng, name, form)
        medicine = catalogue[(name, form)]
        written.append(
            prescriptions.prescription_create(
                by=doctor,
                consultation_id=opened.pk,
                medicine_id=medicine.pk,
                quantity=quantity,
                days=days,
                time_slots=slots,
                instructions=instructions,
            )
        )
    return opened, written


def hand_over(
    rng: random.Random,
    people: dict[str, User],
    visit: Visit,
    opened: Consultation,
    written: list[Prescription],
    *,
    complete: bool,
) -> None:
    items = [Item(p.pk, p.quantity) for p in written]
    visit_dispense(by=people["pat_pharma"], visit_id=visit.pk, items=items)
    if opened.counselling_status == "pending" or rng.random() < 0.1:
        consultation.consultation_counsel(
            by=people["cara_counsellor"],
            consultation_id=opened.pk,
            counselling_status="done",
            counselling_notes="diet and medicines explained",
        )
    if complete:
        registry.visit_set_status(by=people["vic_volunteer"], visit_id=visit.pk, status=Visit.Status.COMPLETED)
