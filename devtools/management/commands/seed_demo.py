"""Build a living demo camp through the real services (so it has history rows and events).

    manage.py seed_demo [--patients 300] [--seed 2026]

Development only (DJANGO_DEBUG=1). Creates a user of every role with generated passwords
(kept in var/dev-credentials.txt, which git ignores, and printed), a stocked pharmacy,
an active camp, and patients spread over every stage of the camp flow. Running it again
finds the demo camp and only prints the credentials.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import User
from accounts.services import user_create
from camps.models import MedicalCamp
from camps.services import camp_create, camp_update
from consultations.models import Consultation, Prescription
from consultations.services import consultation, prescriptions, queue
from consultations.services.pickup import Item, visit_dispense
from devtools import credentials as devcredentials
from devtools.demo_data import AREAS, CATALOGUE, COMPLAINTS, DEMO_CAMP, FIRST, LAST, ORDER, STAFF, STAGES
from patients import services as registry
from patients.models import Visit
from pharmacy import services as pharmacy
from pharmacy.models import Medicine


class Command(BaseCommand):
    help = "Seed a demo camp (development only): users of every role, stock, patients at every stage."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, default=300, help="patients to register (default 300)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed, for repeatable data")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development (DJANGO_DEBUG=1) only.")
        if options["patients"] < 1:
            raise CommandError("--patients must be at least 1.")
        credentials = self.staff()
        if MedicalCamp.objects.filter(name=DEMO_CAMP).exists():
            self.stdout.write("The demo camp is already seeded.")
        else:
            rng = random.Random(options["seed"])
            medicines = self.pharmacy(rng)
            self.camp_day(rng, options["patients"], medicines)
        self.stdout.write(self.style.SUCCESS("Development users (passwords kept in var/dev-credentials.txt):"))
        for username, role, password in credentials:
            self.stdout.write(f"  {role:<11} {username:<16} {password}")

    # --- people ---------------------------------------------------------------------------
    def staff(self) -> list[tuple[str, str, str]]:
        saved = devcredentials.read()
        rows = []
        for username, role, first, last in STAFF:
            password = saved.get(username)
            user = User.objects.filter(username=username).first()
            if user is None or password is None:
                password = secrets.token_urlsafe(9)
                if user is None:
                    user_create(
                        by=None, username=username, password=password, roles=[role], first_name=first, last_name=last
                    )
                else:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                devcredentials.save(username, password)
            rows.append((username, role, password))
        return rows

    # --- pharmacy -------------------------------------------------------------------------
    def pharmacy(self, rng: random.Random) -> list[Medicine]:
        pharmacist = User.objects.get(username="pat_pharma")
        today = timezone.localdate()
        medicines = []
        for name, kind, strength, unit, reorder in CATALOGUE:
            medicine = pharmacy.find_duplicate(name, kind, strength) or pharmacy.medicine_create(
                by=pharmacist, name=name, type=kind, formulation=strength, unit=unit, reorder_level=reorder
            )
            for n, days in enumerate((rng.randint(20, 60), rng.randint(200, 700))):
                pharmacy.batch_receive(
                    by=pharmacist,
                    medicine_id=medicine.pk,
                    batch_no=f"{name[:3]}{kind[:2]}-{n}",
                    expiry_date=today + dt.timedelta(days=days),
                    quantity=rng.randint(300, 900),
                )
            medicines.append(medicine)
        return medicines

    # --- the camp day -----------------------------------------------------------------------
    def camp_day(self, rng: random.Random, count: int, medicines: list[Medicine]) -> None:
        admin = User.objects.filter(username="admin").first()
        camp = camp_create(
            by=admin,
            name=DEMO_CAMP,
            date=timezone.localdate(),
            location="ZP High School, Kothur",
            expected_patients=count,
        )
        camp = camp_update(by=admin, camp_id=camp.pk, status=MedicalCamp.Status.ACTIVE)
        people = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
        doctors = [people["dr_rao"], people["dr_iyer"]]
        # Every stage at least once, the rest drawn by weight.
        stages = (ORDER + rng.choices(ORDER, weights=[w for _, w in STAGES], k=max(0, count - len(ORDER))))[:count]
        rng.shuffle(stages)
        progress = Progress(count, self.stdout)
        for n, stage in enumerate(stages, start=1):
            self.one_patient(rng, n, stage, camp, people, rng.choice(doctors), medicines)
            progress.step(n)
        progress.done()
        camp_update(by=admin, camp_id=camp.pk, attended_patients=count)

    def one_patient(
        self,
        rng: random.Random,
        n: int,
        stage: str,
        camp: MedicalCamp,
        people: dict[str, User],
        doctor: User,
        medicines: list[Medicine],
    ) -> None:
        """One patient taken through the camp flow as far as `stage`."""
        vol, reached = people["vic_volunteer"], ORDER.index(stage)
        visit = register(rng, vol, n, camp)
        if reached >= 1:
            record_vitals(rng, vol, visit)
        if reached < 2:
            return
        priority = rng.choices(["normal", "urgent", "emergency"], weights=[85, 12, 3])[0]
        entry = queue.queue_assign(by=vol, visit_id=visit.pk, doctor_id=doctor.pk, priority=priority)
        if reached < 3:
            return
        opened, written = consult(rng, doctor, entry.pk, medicines)
        if reached < 4:
            return
        queue.queue_update(by=doctor, entry_id=entry.pk, status="completed")
        if reached >= 5:
            hand_over(rng, people, visit, opened, written, complete=reached >= 6)


def register(rng: random.Random, vol: User, n: int, camp: MedicalCamp) -> Visit:
    patient = registry.patient_create(
        by=vol,
        book_no=f"DEMO-{n:04d}",
        name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        age_years=rng.randint(2, 85),
        sex=rng.choice(["female", "male"]),
        phone=f"9{rng.randint(100000000, 999999999)}" if rng.random() < 0.7 else "",
        area=rng.choice(AREAS),
    )
    return registry.visit_register(by=vol, patient_id=patient.pk, camp_id=camp.pk)


def record_vitals(rng: random.Random, vol: User, visit: Visit) -> None:
    systolic = rng.randint(100, 175)
    registry.vitals_record(
        by=vol,
        visit_id=visit.pk,
        bp_systolic=systolic,
        bp_diastolic=rng.randint(60, min(110, systolic - 20)),
        pulse=rng.randint(60, 110),
        rbs=rng.randint(70, 320),
        weight_kg=rng.randint(8, 90),
        height_cm=rng.randint(80, 180),
    )


def consult(
    rng: random.Random, doctor: User, entry_id: int, medicines: list[Medicine]
) -> tuple[Consultation, list[Prescription]]:
    complaint, diagnosis = rng.choice(COMPLAINTS)
    opened = consultation.consultation_open(by=doctor, queue_entry_id=entry_id, chief_complaint=complaint)
    opened = consultation.consultation_update(
        by=doctor,
        consultation_id=opened.pk,
        diagnosis=diagnosis,
        advice="review at the next camp",
        counselling_status="pending" if rng.random() < 0.25 else "not_required",
    )
    written = []
    for medicine in rng.sample(medicines, rng.randint(1, 3)):
        days = rng.choice([3, 5, 7, 15])
        slots = rng.choice([["morning", "night"], ["morning", "afternoon", "night"], ["night"]])
        written.append(
            prescriptions.prescription_create(
                by=doctor,
                consultation_id=opened.pk,
                medicine_id=medicine.pk,
                quantity=days * len(slots),
                days=days,
                time_slots=slots,
                instructions=rng.choice(["after food", "before food", ""]),
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


class Progress:
    """A one-line progress bar on a terminal; a line every 10% otherwise."""

    def __init__(self, total: int, out: Any) -> None:
        self.total, self.out, self.tty = total, out, sys.stdout.isatty()
        self.last = -1

    def step(self, n: int) -> None:
        percent = n * 100 // self.total
        if self.tty:
            bar = "#" * (percent // 4)
            self.out.write(f"\r  patients [{bar:<25}] {n}/{self.total}", ending="")
            self.out.flush()
        elif percent // 10 != self.last // 10:
            self.out.write(f"  patients {n}/{self.total}")
        self.last = percent

    def done(self) -> None:
        if self.tty:
            self.out.write("")
