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
from consultations.services import queue
from devtools import credentials as devcredentials
from devtools import demo_flow as flow
from devtools.demo_clock import DemoClock
from devtools.demo_data import CATALOGUE, DEMO_CAMP, ORDER, STAFF, STAGES
from patients.models import Patient, Visit
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
            # Today's camp opened this morning: registrations spread until a few minutes ago.
            self.opened = timezone.localtime().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=4)
            self.clock = DemoClock(self.opened - dt.timedelta(days=92))
            with self.clock.running():
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
        today = timezone.localdate(self.opened)
        medicines = []
        for name, kind, strength, unit, reorder in CATALOGUE:
            medicine = pharmacy.find_duplicate(name, kind, strength) or pharmacy.medicine_create(
                by=pharmacist, name=name, type=kind, formulation=strength, unit=unit, reorder_level=reorder
            )
            for n, days in enumerate((rng.randint(20, 60), rng.randint(200, 700))):
                # The long-dated batch came before the earlier camp; the short-dated one yesterday.
                self.clock.set(self.opened - dt.timedelta(days=1 if n == 0 else 95))
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
        people = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
        catalogue = {(m.name, m.type): m for m in medicines}
        returning = self.earlier_camp(rng, max(2, count // 10), people, catalogue)
        camp = camp_create(
            by=admin,
            name=DEMO_CAMP,
            date=timezone.localdate(),
            location="ZP High School, Kothur",
            expected_patients=count,
            language="te",  # Kothur reads Telugu: the desk offers it, the slip prints in it
        )
        camp = camp_update(by=admin, camp_id=camp.pk, status=MedicalCamp.Status.ACTIVE)
        # Every stage at least once, the rest drawn by weight; the first registered are furthest on.
        stages = (ORDER + rng.choices(ORDER, weights=[w for _, w in STAGES], k=max(0, count - len(ORDER))))[:count]
        stages.sort(key=ORDER.index, reverse=True)
        every = (self.clock.limit - self.opened) / max(1, count)
        busy: set[str] = set()  # a doctor sees one patient at a time
        progress = Progress(count, self.stdout)
        for n, stage in enumerate(stages, start=1):
            doctor = rng.choice([people["dr_rao"], people["dr_iyer"]])
            if stage == "in_consultation":
                free = [d for d in ("dr_rao", "dr_iyer") if d not in busy]
                doctor = people[free[0]] if free else doctor
                stage = stage if free else "queued"
                busy.add(doctor.username)
            self.clock.set(self.opened + every * (n - 1))
            patient = returning.pop() if returning else flow.new_patient(rng, people["vic_volunteer"], f"DEMO-{n:04d}")
            self.one_patient(
                rng, stage, flow.register(people["vic_volunteer"], patient, camp), people, doctor, catalogue
            )
            progress.step(n)
        progress.done()
        camp_update(by=admin, camp_id=camp.pk, attended_patients=count)

    def earlier_camp(
        self, rng: random.Random, count: int, people: dict[str, User], catalogue: flow.Catalogue
    ) -> list[Patient]:
        """A camp held three months ago, whose patients come back today: their earlier visits show."""
        admin = User.objects.filter(username="admin").first()
        morning = self.opened - dt.timedelta(days=91)
        self.clock.set(morning)
        camp = camp_create(
            by=admin,
            name=f"{DEMO_CAMP} (earlier)",
            date=timezone.localdate() - dt.timedelta(days=91),
            location="Gram Panchayat office, Kothur",
            expected_patients=count,
        )
        camp_update(by=admin, camp_id=camp.pk, status=MedicalCamp.Status.ACTIVE)
        patients = []
        for n in range(1, count + 1):
            self.clock.set(morning + dt.timedelta(minutes=3 * n))
            patient = flow.new_patient(rng, people["vic_volunteer"], f"DEMO-E{n:03d}")
            visit = flow.register(people["vic_volunteer"], patient, camp)
            self.one_patient(rng, "completed", visit, people, people["dr_rao"], catalogue)
            patients.append(patient)
        self.clock.set(morning + dt.timedelta(hours=6))
        camp_update(by=admin, camp_id=camp.pk, attended_patients=count, status=MedicalCamp.Status.CLOSED)
        self.clock.set(self.opened - dt.timedelta(minutes=30))
        return patients

    def one_patient(
        self,
        rng: random.Random,
        stage: str,
        visit: Visit,
        people: dict[str, User],
        doctor: User,
        catalogue: flow.Catalogue,
    ) -> None:
        """One registered patient taken through the camp flow as far as `stage`."""
        vol, reached, clock = people["vic_volunteer"], ORDER.index(stage), self.clock

        def later(low: int, high: int) -> None:  # the next step, some minutes on
            clock.set(clock.now() + dt.timedelta(minutes=rng.randint(low, high)))

        if reached >= 1:
            later(4, 15)
            flow.record_vitals(rng, vol, visit)
        if reached < 2:
            return
        later(1, 5)
        priority = rng.choices(["normal", "urgent", "emergency"], weights=[85, 12, 3])[0]
        entry = queue.queue_assign(by=vol, visit_id=visit.pk, doctor_id=doctor.pk, priority=priority)
        if reached < 3:
            return
        later(10, 70)
        opened, written = flow.consult(rng, doctor, entry.pk, catalogue, visit.patient.age_years)
        if reached < 4:
            return
        later(4, 12)
        queue.queue_update(by=doctor, entry_id=entry.pk, status="completed")
        if reached >= 5:
            later(3, 20)
            flow.hand_over(rng, people, visit, opened, written, complete=reached >= 6)


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
