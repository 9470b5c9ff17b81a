"""A camp built so that every number of its report is known in advance (tests/reports)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from consultations.models import QueueEntry
from patients.models import Visit
from pharmacy.models import StockMovement
from tests.factories import (
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    PrescriptionFactory,
    QueueEntryFactory,
    StockBatchFactory,
    UserFactory,
    VisitFactory,
    VitalsFactory,
)

DAY = dt.date(2026, 3, 14)
NINE = timezone.make_aware(dt.datetime.combine(DAY, dt.time(9, 0)))
NORMAL = {"bp_systolic": 120, "bp_diastolic": 80, "pulse": 72, "rbs": 110, "spo2": 98, "temperature_c": Decimal("36.8")}


def minutes(n: float) -> dt.datetime:
    return NINE + dt.timedelta(minutes=n)


def _visit(camp: Any, age: int, sex: str, status: str, **times: float) -> Visit:
    visit = VisitFactory(camp=camp, patient=PatientFactory(age_years=age, sex=sex), status=status)
    Visit.objects.filter(pk=visit.pk).update(registered_at=NINE, **{k: minutes(v) for k, v in times.items()})
    return visit


def _seen(visit: Visit, doctor: Any, start: float, took: float, diagnosis: str) -> Any:
    entry = QueueEntryFactory(visit=visit, doctor=doctor, status=QueueEntry.Status.COMPLETED)
    QueueEntry.objects.filter(pk=entry.pk).update(started_at=minutes(start), finished_at=minutes(start + took))
    return ConsultationFactory(queue_entry=entry, diagnosis=diagnosis)


def _moved(batch: Any, quantity: int, kind: str, at: dt.datetime) -> None:
    movement = StockMovement.objects.create(batch=batch, quantity=quantity, kind=kind)
    StockMovement.objects.filter(pk=movement.pk).update(at=at)


def build() -> dict[str, Any]:
    """Camp A (the one reported), an earlier camp E, and camp B the same day elsewhere."""
    earlier = CampFactory(name="Kothur camp", location="Kothur", date=DAY - dt.timedelta(days=30), status="closed")
    camp = CampFactory(name="Kondapur camp", location="Kondapur school", date=DAY, expected_patients=50)
    camp.attended_patients = 6
    camp.save()
    other = CampFactory(name="Shadnagar camp", location="Shadnagar", date=DAY)
    meena = UserFactory(roles=["doctor"], first_name="Meena", last_name="Iyer")
    ravi = UserFactory(roles=["doctor"], first_name="Ravi", last_name="Kumar")
    amlo = MedicineFactory(name="Amlodipine", formulation="2.5 mg", type="tablet")
    para = MedicineFactory(name="Paracetamol", formulation="120 mg/5 ml", type="syrup")

    p1 = _visit(camp, 62, "female", "completed", vitals_at=10, consultation_started_at=30, dispensed_at=60)
    VisitFactory(camp=earlier, patient=p1.patient, status="completed")  # p1 returns
    Visit.objects.filter(pk=p1.pk).update(counselling="done")
    VitalsFactory(visit=p1, **{**NORMAL, "bp_systolic": 150, "bp_diastolic": 95, "rbs": 250},
                  weight_kg=Decimal("70"), height_cm=Decimal("160"))  # fmt: skip
    c1 = _seen(p1, meena, 30, 8, "Hypertension, Type 2  Diabetes")
    PrescriptionFactory(consultation=c1, medicine=amlo, quantity=30, quantity_dispensed=30, status="dispensed")

    p2 = _visit(camp, 3, "male", "dispensed", vitals_at=20, consultation_started_at=50, dispensed_at=90)
    VitalsFactory(visit=p2, **{**NORMAL, "spo2": 92, "temperature_c": Decimal("38.5")},
                  weight_kg=Decimal("10"), height_cm=Decimal("90"))  # fmt: skip
    c2 = _seen(p2, ravi, 50, 5, "  FEVER ")
    PrescriptionFactory(consultation=c2, medicine=para, quantity=10, quantity_dispensed=4)

    _visit(camp, 30, "female", "cancelled")  # p3: registered, then left

    p4 = _visit(camp, 45, "other", "consulted", vitals_at=30, consultation_started_at=40)
    Visit.objects.filter(pk=p4.pk).update(counselling="pending")
    VitalsFactory(visit=p4, **NORMAL, weight_kg=Decimal("60"), height_cm=None)
    c4 = _seen(p4, meena, 40, 12, "hypertension")
    old = PrescriptionFactory(consultation=c4, medicine=para, quantity=99, status="replaced")
    PrescriptionFactory(consultation=c4, medicine=amlo, quantity=20, replaces=old)

    b_visit = _visit(other, 70, "male", "queued", vitals_at=5)  # camp B: only in the range report
    VitalsFactory(visit=b_visit, **{**NORMAL, "bp_systolic": 160})

    amlo_batch = StockBatchFactory(medicine=amlo, quantity_received=100, quantity_on_hand=65)
    para_batch = StockBatchFactory(medicine=para, quantity_received=70, quantity_on_hand=60)
    _moved(amlo_batch, 100, "received", NINE - dt.timedelta(days=2))
    _moved(amlo_batch, -30, "dispensed", minutes(60))
    _moved(amlo_batch, -5, "adjusted", minutes(120))
    _moved(para_batch, 50, "received", NINE - dt.timedelta(days=1))
    _moved(para_batch, -4, "dispensed", minutes(90))
    _moved(para_batch, -6, "expired", minutes(300))
    _moved(para_batch, 20, "received", NINE + dt.timedelta(days=1))  # after the camp's day
    return {"camp": camp, "earlier": earlier, "other": other}
