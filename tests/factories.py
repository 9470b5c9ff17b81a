"""factory_boy factories for every model; realistic and consistent camp data."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from camps.models import MedicalCamp
from patients.models import Patient, Visit, Vitals
from pharmacy.models import Medicine, StockBatch

PASSWORD = "Camp-Day-Secret-42!"  # every test user's password; the session secret scan looks for it


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@camp.example")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    is_staff = True

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.save()
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=list(extracted)))
            self.__dict__.pop("_role_names", None)


# --- camps and patients -----------------------------------------------------------------------
AREAS = ["Kothur", "Shadnagar", "Nandigama", "Farooqnagar", "Keshampet", "Chowderguda", "Kondurg"]


class CampFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalCamp

    name = factory.Sequence(lambda n: f"{AREAS[n % len(AREAS)]} Health Camp #{n + 1}")
    date = factory.LazyFunction(lambda: _dt.date.today())
    location = factory.LazyAttribute(lambda c: f"Government School, {c.name.split()[0]}")
    expected_patients = 200
    status = MedicalCamp.Status.ACTIVE


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    book_no = factory.Sequence(lambda n: f"MC-{n + 1:05d}")
    name = factory.Faker("name", locale="en_IN")
    age_years = factory.Faker("random_int", min=1, max=90)
    sex = factory.Iterator([Patient.Sex.FEMALE, Patient.Sex.MALE])
    phone = factory.Sequence(lambda n: f"98{n:08d}")
    area = factory.Iterator(AREAS)
    address = factory.LazyAttribute(lambda p: f"H.No {p.age_years}-{len(p.name)}, {p.area}")


class VisitFactory(factory.django.DjangoModelFactory):
    """A registered visit with the camp's next token, as the service would give it."""

    class Meta:
        model = Visit

    patient = factory.SubFactory(PatientFactory)
    camp = factory.SubFactory(CampFactory)
    token_number = factory.LazyAttribute(lambda v: _next_token(v.camp))


def _next_token(camp: MedicalCamp) -> int:
    from camps.services import camp_next_token

    return camp_next_token(camp_id=camp.pk)


class VitalsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vitals

    visit = factory.SubFactory(VisitFactory)
    bp_systolic = factory.Faker("random_int", min=100, max=170)
    bp_diastolic = factory.LazyAttribute(lambda v: max(50, v.bp_systolic - 45))
    pulse = factory.Faker("random_int", min=60, max=110)
    rbs = factory.Faker("random_int", min=70, max=280)
    weight_kg = factory.LazyFunction(lambda: Decimal("58.5"))
    height_cm = factory.LazyFunction(lambda: Decimal("158.0"))


# --- pharmacy ------------------------------------------------------------------------------------
CATALOGUE = [
    ("Paracetamol", Medicine.Type.TABLET, "500 mg", "tablet"),
    ("Amoxicillin", Medicine.Type.CAPSULE, "500 mg", "capsule"),
    ("Metformin", Medicine.Type.TABLET, "500 mg", "tablet"),
    ("Amlodipine", Medicine.Type.TABLET, "5 mg", "tablet"),
    ("Cetirizine", Medicine.Type.TABLET, "10 mg", "tablet"),
    ("Paracetamol", Medicine.Type.SYRUP, "125 mg/5 ml", "bottle"),
    ("Ranitidine", Medicine.Type.TABLET, "150 mg", "tablet"),
    ("Albendazole", Medicine.Type.TABLET, "400 mg", "tablet"),
    ("ORS", Medicine.Type.POWDER, "20.5 g", "sachet"),
    ("Clotrimazole", Medicine.Type.CREAM, "1%", "tube"),
]


class MedicineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medicine

    name = factory.Sequence(lambda n: CATALOGUE[n % len(CATALOGUE)][0] + ("" if n < len(CATALOGUE) else f" {n}"))
    type = factory.Sequence(lambda n: CATALOGUE[n % len(CATALOGUE)][1])
    formulation = factory.Sequence(lambda n: CATALOGUE[n % len(CATALOGUE)][2])
    unit = factory.Sequence(lambda n: CATALOGUE[n % len(CATALOGUE)][3])
    reorder_level = 50


class StockBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockBatch

    medicine = factory.SubFactory(MedicineFactory)
    batch_no = factory.Sequence(lambda n: f"B{2026}{n:04d}")
    expiry_date = factory.LazyFunction(lambda: _dt.date.today() + _dt.timedelta(days=365))
    quantity_received = 500
    quantity_on_hand = factory.LazyAttribute(lambda b: b.quantity_received)
