"""The factories make consistent camp data: a visit has the records of the stages it reached only."""

from __future__ import annotations

import datetime as dt

import pytest

from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from patients.models import Vitals
from tests.factories import (
    CATALOGUE,
    STAGES,
    CampFactory,
    DispenseFactory,
    MedicineFactory,
    Morning,
    PrescriptionFactory,
    UserFactory,
    visit_at_stage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def morning():
    camp = CampFactory(date=dt.date(2026, 12, 6))
    doctor = UserFactory(roles=["doctor"])
    medicines = [MedicineFactory() for _ in CATALOGUE]
    return camp, doctor, medicines, Morning(camp.date)


@pytest.mark.parametrize("stage", STAGES)
def test_a_visit_has_records_only_for_the_stages_it_reached(morning, stage):
    camp, doctor, medicines, clock = morning
    visit = visit_at_stage(stage, camp=camp, doctor=doctor, medicines=medicines, clock=clock)
    reached = STAGES.index(stage)
    assert visit.status == stage
    assert Vitals.objects.filter(visit=visit).exists() == (reached >= 1)
    assert QueueEntry.objects.filter(visit=visit).exists() == (reached >= 2)
    assert Consultation.objects.filter(visit=visit).exists() == (reached >= 3)
    assert Prescription.objects.filter(consultation__visit=visit).exists() == (reached >= 4)
    assert Dispense.objects.filter(prescription__consultation__visit=visit).exists() == (reached >= 5)
    stamps = [
        visit.registered_at,
        visit.vitals_at,
        visit.queued_at,
        visit.consultation_started_at,
        visit.consulted_at,
        visit.dispensed_at,
        visit.completed_at,
    ]
    set_stamps = [s for s in stamps if s is not None]
    assert len(set_stamps) == reached + 1
    assert set_stamps == sorted(set_stamps)  # a real morning moves forward
    assert set_stamps[0].date() == camp.date


def test_queue_times_increase_like_a_morning(morning):
    camp, doctor, medicines, clock = morning
    visits = [visit_at_stage("queued", camp=camp, doctor=doctor, medicines=medicines, clock=clock) for _ in range(5)]
    queued = [QueueEntry.objects.get(visit=v).queued_at for v in visits]
    assert queued == sorted(queued) and len(set(queued)) == 5
    assert dt.time(8, 30) < queued[0].time() < dt.time(13, 0)


def test_prescriptions_are_plausible(morning):
    _, _, medicines, _ = morning
    for _ in range(10):
        rx = PrescriptionFactory(medicine=medicines[0])
        assert rx.quantity == rx.days * len(rx.time_slots)
        assert set(rx.time_slots) <= {"morning", "afternoon", "night"}
        assert rx.medicine.pk in {m.pk for m in medicines}


def test_a_dispense_is_served_by_a_stock_movement_of_the_same_medicine(db):
    dispense = DispenseFactory()
    assert dispense.movement.batch.medicine_id == dispense.prescription.medicine_id
    assert -dispense.movement.quantity == dispense.quantity
