"""seed_demo builds a consistent demo camp through the services, repeatably."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from consultations.models import Dispense, Prescription
from devtools.demo_data import FEMALE_ONLY, MALE_FIRST
from patients.models import Patient, Visit, Vitals
from pharmacy.models import StockBatch


@pytest.fixture
def credentials(tmp_path, monkeypatch):
    from devtools import credentials as devcredentials

    monkeypatch.setattr(devcredentials, "path", lambda: tmp_path / "credentials.txt")
    return tmp_path / "credentials.txt"


def test_seed_demo_builds_every_stage_and_is_idempotent(db, settings, credentials, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", patients=60, seed=7, stdout=out)
    today = Visit.objects.filter(camp__name="MedCamp demo camp")
    stages = dict(today.values_list("status").annotate(n=Count("id")))
    assert sum(stages.values()) == 60
    assert set(stages) == {
        "registered",
        "vitals_recorded",
        "queued",
        "in_consultation",
        "consulted",
        "dispensed",
        "completed",
    }
    assert not StockBatch.objects.filter(quantity_on_hand__lt=0).exists()
    assert Dispense.objects.exists()
    text = out.getvalue()
    for role in ("doctor", "pharmacist", "volunteer", "counsellor", "auditor"):
        assert role in text
    saved = credentials.read_text()
    assert "dr_rao" in saved and saved.split("dr_rao ")[1].split()[0] in text
    again = io.StringIO()
    call_command("seed_demo", patients=60, seed=7, stdout=again)
    assert "already seeded" in again.getvalue() and today.count() == 60


def test_the_demo_camp_is_clinically_plausible(db, settings, credentials, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", patients=80, seed=11, stdout=io.StringIO())
    # A body for the age: no 56-year-old of 18 kg, no 4-year-old of 170 cm; BMI of a person.
    for vitals in Vitals.objects.select_related("visit__patient"):
        age, bmi = vitals.visit.patient.age_years, float(vitals.weight_kg) / (float(vitals.height_cm) / 100) ** 2
        assert 12 <= bmi <= 35, (age, vitals.weight_kg, vitals.height_cm)
        if age >= 18:
            assert 135 <= vitals.height_cm <= 190 and vitals.weight_kg >= 30
        else:
            assert vitals.height_cm <= 85 + 6.2 * (age - 2) + 20
    # Names that match the recorded sex.
    for name in Patient.objects.filter(sex="male").values_list("name", flat=True):
        assert name.split()[0] in MALE_FIRST and name.split()[-1] not in FEMALE_ONLY, name
    # Doses that fit the medicine: antibiotics 5-7 days, chronic medicines 30.
    for p in Prescription.objects.select_related("medicine"):
        if p.medicine.name == "Amoxicillin":
            assert p.days in (5, 7) and len(p.time_slots) in (2, 3)
        if p.medicine.name in ("Metformin", "Amlodipine"):
            assert p.days == 30
    # One patient at a time in a doctor's room.
    busy = Visit.objects.filter(status="in_consultation").values("queue_entries__doctor").annotate(n=Count("id"))
    assert all(row["n"] == 1 for row in busy)
    # Some of today's patients came to an earlier camp, so their history shows.
    returning = Patient.objects.annotate(camps=Count("visits__camp", distinct=True)).filter(camps__gt=1)
    assert returning.count() >= 2


def test_seed_demo_refuses_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", patients=5)
