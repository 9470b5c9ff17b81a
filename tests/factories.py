"""factory_boy factories for every model; realistic and consistent camp data."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from camps.models import MedicalCamp
from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from patients.models import Patient, Visit, Vitals
from pharmacy.models import Medicine, StockBatch, StockMovement

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
            self.forget_roles()


# --- camps and patients -----------------------------------------------------------------------
AREAS = ["Kothur", "Shadnagar", "Nandigama", "Farooqnagar", "Keshampet", "Chowderguda", "Kondurg"]


class CampFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MedicalCamp

    name = factory.Sequence(lambda n: f"{AREAS[n % len(AREAS)]} Health Camp #{n + 1}")
    date = factory.LazyFunction(lambda: timezone.localdate())
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
    expiry_date = factory.LazyFunction(lambda: timezone.localdate() + _dt.timedelta(days=365))
    quantity_received = 500
    quantity_on_hand = factory.LazyAttribute(lambda b: b.quantity_received)


class StockMovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockMovement

    batch = factory.SubFactory(StockBatchFactory)
    quantity = 10
    kind = StockMovement.Kind.RECEIVED


# --- the doctor's side --------------------------------------------------------------------------
class QueueEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueEntry

    visit = factory.SubFactory(VisitFactory, status=Visit.Status.QUEUED)
    doctor = factory.SubFactory(UserFactory, roles=["doctor"])
    priority = QueueEntry.Priority.NORMAL


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    queue_entry = factory.SubFactory(QueueEntryFactory, status=QueueEntry.Status.IN_CONSULTATION)
    visit = factory.LazyAttribute(lambda c: c.queue_entry.visit)
    doctor = factory.LazyAttribute(lambda c: c.queue_entry.doctor)
    chief_complaint = factory.Iterator(
        ["fever for 3 days", "joint pain", "cough and cold", "giddiness", "burning feet", "headache", "stomach ache"]
    )
    diagnosis = factory.Iterator(
        [
            "viral fever",
            "osteoarthritis",
            "upper respiratory infection",
            "hypertension",
            "diabetic neuropathy",
            "tension headache",
            "gastritis",
        ]
    )
    advice = "plenty of fluids; review at next camp"


# (medicine, quantity, days, time slots) a doctor would plausibly write for each diagnosis above.
DOSAGES = [
    ("Paracetamol", 9, 3, ["morning", "afternoon", "night"]),
    ("Paracetamol", 10, 5, ["morning", "night"]),
    ("Cetirizine", 5, 5, ["night"]),
    ("Amlodipine", 30, 30, ["morning"]),
    ("Metformin", 60, 30, ["morning", "night"]),
    ("Paracetamol", 6, 3, ["morning", "night"]),
    ("Ranitidine", 14, 7, ["morning", "night"]),
]


class PrescriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prescription

    consultation = factory.SubFactory(ConsultationFactory)
    medicine = factory.SubFactory(MedicineFactory)
    quantity = factory.LazyAttribute(lambda p: (p.days or 5) * max(1, len(p.time_slots)))
    days = factory.Iterator([3, 5, 7, 30])
    time_slots = factory.Iterator([["morning", "night"], ["morning", "afternoon", "night"], ["night"], ["morning"]])
    instructions = factory.Iterator(["after food", "before food", ""])


class DispenseFactory(factory.django.DjangoModelFactory):
    """A dispense with the stock movement that served it (the batch goes down by as much)."""

    class Meta:
        model = Dispense

    prescription = factory.SubFactory(PrescriptionFactory)
    quantity = factory.LazyAttribute(lambda d: d.prescription.quantity)
    movement = factory.LazyAttribute(
        lambda d: StockMovementFactory(
            batch=StockBatchFactory(
                medicine=d.prescription.medicine, quantity_received=d.quantity + 100, quantity_on_hand=100
            ),
            quantity=-d.quantity,
            kind=StockMovement.Kind.DISPENSED,
        )
    )


# --- a camp morning: a visit with exactly the records of the stages it reached -----------------
STAGES = ["registered", "vitals_recorded", "queued", "in_consultation", "consulted", "dispensed", "completed"]


class Morning:
    """A clock that starts at 8:30 on the camp day and moves forward a few minutes per step."""

    def __init__(self, day: _dt.date, seed: int = 7) -> None:
        import random

        self.now = _dt.datetime.combine(day, _dt.time(8, 30), tzinfo=_dt.UTC)
        self.random = random.Random(seed)

    def tick(self, low: int = 1, high: int = 6) -> _dt.datetime:
        self.now += _dt.timedelta(minutes=self.random.randint(low, high))
        return self.now


def visit_at_stage(stage: str, *, camp: MedicalCamp, doctor: User, medicines: list[Medicine], clock: Morning) -> Visit:
    """A visit that reached `stage`, with the records of that stage and the ones before only."""
    reached = STAGES.index(stage)
    visit = VisitFactory(camp=camp)
    times: dict[str, Any] = {"registered_at": clock.tick()}
    if reached >= 1:
        VitalsFactory(visit=visit)
        times["vitals_at"] = clock.tick()
    if reached >= 2:
        times["queued_at"] = clock.tick()
        entry = QueueEntryFactory(visit=visit, doctor=doctor, status=QueueEntry.Status.WAITING)
        QueueEntry.objects.filter(pk=entry.pk).update(queued_at=times["queued_at"])
    if reached >= 3:
        times["consultation_started_at"] = clock.tick(5, 15)
        QueueEntry.objects.filter(pk=entry.pk).update(
            status=QueueEntry.Status.IN_CONSULTATION, started_at=times["consultation_started_at"]
        )
        entry.refresh_from_db()
        consultation = ConsultationFactory(queue_entry=entry)
    if reached >= 4:
        times["consulted_at"] = clock.tick(5, 12)
        QueueEntry.objects.filter(pk=entry.pk).update(
            status=QueueEntry.Status.COMPLETED, finished_at=times["consulted_at"]
        )
        by_name = {m.name: m for m in medicines}
        name, quantity, days, slots = DOSAGES[visit.pk % len(DOSAGES)]
        prescription = PrescriptionFactory(
            consultation=consultation,
            medicine=by_name.get(name, medicines[0]),
            quantity=quantity,
            days=days,
            time_slots=slots,
        )
    if reached >= 5:
        times["dispensed_at"] = clock.tick(2, 8)
        DispenseFactory(prescription=prescription)
        Prescription.objects.filter(pk=prescription.pk).update(quantity_dispensed=quantity, status="dispensed")
    if reached >= 6:
        times["completed_at"] = clock.tick(1, 3)
    Visit.objects.filter(pk=visit.pk).update(status=stage, **times)
    visit.refresh_from_db()
    return visit
