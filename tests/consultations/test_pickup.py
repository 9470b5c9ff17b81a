"""Medicine pickup: earliest expiry first, all or nothing, never below zero."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from consultations.services.pickup import Item, visit_dispense
from patients.models import Visit
from pharmacy.models import StockBatch, StockMovement
from pharmacy.services import InsufficientStock
from tests.conftest import require_postgres
from tests.factories import MedicineFactory, StockBatchFactory, UserFactory, VisitFactory

TODAY = timezone.localdate()


def consulted_visit(doctor, *lines, camp=None):
    """A visit the doctor has finished, with prescriptions [(medicine, quantity), ...]."""
    visit = VisitFactory(status="consulted", **({"camp": camp} if camp else {}))
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="completed")
    consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)
    prescriptions = [Prescription.objects.create(consultation=consultation, medicine=m, quantity=q) for m, q in lines]
    return visit, prescriptions


@pytest.fixture
def pharma(client_for, pharmacist):
    return client_for(pharmacist)


def dispense(api, visit, *items):
    payload = {"items": [{"prescription": p.pk, "quantity": q} for p, q in items]}
    return api.post(f"/api/v1/visits/{visit.pk}/dispense/", payload, format="json")


def test_pickup_takes_earliest_expiry_first_across_batches(pharma, doctor, audit):
    medicine = MedicineFactory()
    late = StockBatchFactory(
        medicine=medicine, batch_no="LATE", quantity_received=100, expiry_date=TODAY + dt.timedelta(days=400)
    )
    soon = StockBatchFactory(
        medicine=medicine, batch_no="SOON", quantity_received=20, expiry_date=TODAY + dt.timedelta(days=10)
    )
    mid = StockBatchFactory(
        medicine=medicine, batch_no="MID", quantity_received=15, expiry_date=TODAY + dt.timedelta(days=90)
    )
    gone = StockBatchFactory(
        medicine=medicine, batch_no="GONE", quantity_received=500, expiry_date=TODAY - dt.timedelta(days=1)
    )
    visit, (rx,) = consulted_visit(doctor, (medicine, 45))

    response = dispense(pharma, visit, (rx, 45))
    assert response.status_code == 200, response.json()
    assert response.json()["visit_status"] == "dispensed"
    for batch, left in ((soon, 0), (mid, 0), (late, 90), (gone, 500)):
        batch.refresh_from_db()
        assert batch.quantity_on_hand == left
    rows = list(Dispense.objects.order_by("id").values_list("movement__batch__batch_no", "quantity"))
    assert rows == [("SOON", 20), ("MID", 15), ("LATE", 10)]

    deducted = audit.named("stock.deducted")
    assert [(e["details"]["batch_no"], e["details"]["before"], e["details"]["after"]) for e in deducted] == [
        ("SOON", 20, 0),
        ("MID", 15, 0),
        ("LATE", 100, 90),
    ]
    assert deducted[0]["details"]["medicine_id"] == medicine.pk
    assert deducted[0]["changes"]["quantity_on_hand"] == {"old": 20, "new": 0}
    picked = audit.one("visit.picked_up")
    assert picked["source"] == "route" and picked["details"]["units"] == 45
    assert picked["details"]["items"][0]["batches"] == [
        {"batch": soon.pk, "quantity": 20},
        {"batch": mid.pk, "quantity": 15},
        {"batch": late.pk, "quantity": 10},
    ]
    assert audit.one("prescription.dispensed")["changes"]["status"] == {"old": "active", "new": "dispensed"}
    assert audit.one("visit.status_changed")["changes"]["status"] == {"old": "consulted", "new": "dispensed"}
    rx.refresh_from_db()
    assert rx.history.order_by("history_id").last().quantity_dispensed == 45


def test_a_partial_pickup_keeps_the_remainder_open(pharma, doctor):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine, quantity_received=100)
    visit, (rx,) = consulted_visit(doctor, (medicine, 30))
    first = dispense(pharma, visit, (rx, 10))
    assert first.json()["visit_status"] == "consulted"
    rx.refresh_from_db()
    assert (rx.status, rx.remaining) == ("active", 20)
    over = dispense(pharma, visit, (rx, 21))
    assert (over.status_code, over.json()["code"], over.json()["remaining"]) == (
        409,
        "quantity_exceeds_prescription",
        20,
    )
    rest = dispense(pharma, visit, (rx, 20))
    assert rest.json()["visit_status"] == "dispensed"
    rx.refresh_from_db()
    assert (rx.status, rx.remaining) == ("dispensed", 0)
    again = dispense(pharma, visit, (rx, 1))
    assert (again.status_code, again.json()["code"]) == (409, "prescription_dispensed")


def test_all_or_nothing_when_one_item_is_short(pharma, doctor, audit):
    plenty, scarce = MedicineFactory(), MedicineFactory()
    plenty_batch = StockBatchFactory(medicine=plenty, quantity_received=100)
    StockBatchFactory(medicine=scarce, quantity_received=4)
    visit, (rx1, rx2) = consulted_visit(doctor, (plenty, 10), (scarce, 6))
    response = dispense(pharma, visit, (rx1, 10), (rx2, 6))
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["medicine"], body["requested"], body["available"]) == (
        "insufficient_stock",
        scarce.pk,
        6,
        4,
    )
    plenty_batch.refresh_from_db()
    assert plenty_batch.quantity_on_hand == 100
    assert not Dispense.objects.exists() and not StockMovement.objects.filter(kind="dispensed").exists()
    assert Prescription.objects.filter(quantity_dispensed__gt=0).count() == 0
    assert [e["event"] for e in audit.events] == ["dispense.create"]
    assert audit.events[0]["reason"] == "insufficient_stock"


def test_stock_only_in_expired_batches_is_refused_clearly(pharma, doctor):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine, quantity_received=80, expiry_date=TODAY - dt.timedelta(days=3))
    visit, (rx,) = consulted_visit(doctor, (medicine, 5))
    response = dispense(pharma, visit, (rx, 5))
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["expired_on_hand"]) == ("stock_expired", 80)


@pytest.mark.parametrize("status", ["replaced", "deleted", "dispensed"])
def test_final_prescriptions_are_not_dispensed(pharma, doctor, audit, status):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine)
    visit, (rx,) = consulted_visit(doctor, (medicine, 5))
    Prescription.objects.filter(pk=rx.pk).update(status=status)
    response = dispense(pharma, visit, (rx, 1))
    assert (response.status_code, response.json()["code"]) == (409, f"prescription_{status}")
    assert not Dispense.objects.exists()
    assert audit.one("dispense.create")["reason"] == f"prescription_{status}"


def test_a_prescription_of_another_visit_is_refused(pharma, doctor):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine)
    visit, _ = consulted_visit(doctor, (medicine, 5))
    _, (theirs,) = consulted_visit(doctor, (medicine, 5))
    response = dispense(pharma, visit, (theirs, 1))
    assert (response.status_code, response.json()["code"]) == (409, "prescription_not_in_visit")


@pytest.mark.parametrize(
    "payload",
    [
        {"items": []},
        {},
        {"items": [{"prescription": 999999, "quantity": 1}]},
        {"items": [{"prescription": 1, "quantity": 0}]},
        {"items": "all"},
    ],
)
def test_malformed_pickups_are_400(pharma, doctor, payload):
    visit, _ = consulted_visit(doctor)
    response = pharma.post(f"/api/v1/visits/{visit.pk}/dispense/", payload, format="json")
    assert response.status_code == 400 and response.json()["fields"]


def test_the_same_prescription_twice_is_400(pharma, doctor):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine)
    visit, (rx,) = consulted_visit(doctor, (medicine, 5))
    response = dispense(pharma, visit, (rx, 1), (rx, 1))
    assert response.status_code == 400 and not Dispense.objects.exists()


def test_only_pharmacists_and_admins_dispense(client_for, doctor):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine)
    visit, (rx,) = consulted_visit(doctor, (medicine, 5))
    for role in ("doctor", "volunteer", "counsellor", "auditor"):
        assert dispense(client_for(UserFactory(roles=[role])), visit, (rx, 1)).status_code == 403
    assert not Dispense.objects.exists()


def test_pickup_view_shows_remaining_and_stock_in_fixed_queries(pharma, doctor, audit):
    medicines = MedicineFactory.create_batch(2)
    StockBatchFactory(medicine=medicines[0], quantity_received=7)
    visit, _ = consulted_visit(doctor, (medicines[0], 10), (medicines[1], 3))
    lines = pharma.get(f"/api/v1/visits/{visit.pk}/pickup/").json()["results"]
    assert [(line["remaining"], line["stock_available"], line["enough_stock"]) for line in lines] == [
        (10, 7, False),
        (3, 0, False),
    ]
    assert audit.one("visit.pickup_viewed")["details"] == {"count": 2}

    def queries(v: Visit) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert pharma.get(f"/api/v1/visits/{v.pk}/pickup/").status_code == 200
        return len(ctx.captured_queries)

    small = queries(visit)
    many = MedicineFactory.create_batch(12)
    for m in many:
        StockBatchFactory.create_batch(2, medicine=m)
    big, _ = consulted_visit(doctor, *[(m, 2) for m in many])
    assert queries(big) == small


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_pickups_of_a_scarce_medicine_never_go_below_zero():
    require_postgres()
    medicine = MedicineFactory()
    for days, qty in ((30, 20), (60, 17), (90, 13)):  # 50 units in three batches
        StockBatchFactory(medicine=medicine, quantity_received=qty, expiry_date=TODAY + dt.timedelta(days=days))
    doctor = UserFactory(roles=["doctor"])
    pharmacist = UserFactory(roles=["pharmacist"])
    visits = [consulted_visit(doctor, (medicine, 8)) for _ in range(10)]  # 80 units wanted
    barrier = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def pick(visit: Visit, rx: Prescription) -> None:
        try:
            barrier.wait()
            visit_dispense(by=pharmacist, visit_id=visit.pk, items=[Item(rx.pk, 8)])
            result = "served"
        except InsufficientStock as refused:
            result = str(refused.get_codes())
        except Exception as exc:  # any other outcome fails the assertion below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=pick, args=(v, rxs[0])) for v, rxs in visits]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(set(outcomes)) == ["insufficient_stock", "served"], outcomes
    served = outcomes.count("served")
    assert served == 6  # 6 x 8 = 48 of 50
    on_hand = StockBatch.objects.filter(medicine=medicine).aggregate(n=Sum("quantity_on_hand"))["n"]
    assert on_hand == 2 and not StockBatch.objects.filter(quantity_on_hand__lt=0).exists()
    taken = -StockMovement.objects.filter(kind="dispensed").aggregate(n=Sum("quantity"))["n"]
    dispensed = Dispense.objects.aggregate(n=Sum("quantity"))["n"]
    prescribed = Prescription.objects.aggregate(n=Sum("quantity_dispensed"))["n"]
    assert taken == dispensed == prescribed == 50 - on_hand == 48


def test_an_id_beyond_the_databases_range_is_a_400_not_a_crash(client_for, db):
    from tests.factories import UserFactory, VisitFactory

    visit = VisitFactory(status="consulted")
    api = client_for(UserFactory(roles=["pharmacist"]))
    body = {"items": [{"prescription": 2**70, "quantity": 1}]}
    response = api.post(f"/api/v1/visits/{visit.pk}/dispense/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert api.get(f"/api/v1/visits/{2**70}/pickup/").status_code == 404
