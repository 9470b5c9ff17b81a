"""The medicine catalogue and stock: duplicates in any spelling, receiving, adjusting, taking stock."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import Conflict, DomainError
from pharmacy import services
from pharmacy.models import Medicine, StockBatch, StockMovement
from tests.conftest import require_postgres
from tests.factories import MedicineFactory, StockBatchFactory, UserFactory

TODAY = timezone.localdate()
PARA = {"name": "Paracetamol", "type": "tablet", "formulation": "500 mg", "unit": "tablet", "reorder_level": 100}


@pytest.fixture
def pharma(client_for, pharmacist):
    return client_for(pharmacist)


def test_medicine_creation_is_logged_with_its_metadata(pharma, audit):
    response = pharma.post("/api/v1/medicines/", PARA, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["stock_on_hand"], body["low_stock"]) == (0, True)
    created = audit.one("medicine.created")
    assert created["fields"] == {**PARA, "active": True}
    assert created["target"] == {"type": "medicine", "id": body["id"]}
    assert Medicine.objects.get(pk=body["id"]).history.count() == 1


@pytest.mark.parametrize(
    ("name", "formulation"),
    [("Paracetamol", "500 mg"), ("paracetamol", "500 MG"), ("  PARACETAMOL ", " 500   mg "), ("ParaCetamol", "500 Mg")],
)
def test_a_duplicate_in_any_spelling_is_409_naming_the_existing(pharma, audit, name, formulation):
    existing = pharma.post("/api/v1/medicines/", PARA, format="json").json()
    response = pharma.post("/api/v1/medicines/", {**PARA, "name": name, "formulation": formulation}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["existing_id"]) == ("duplicate_medicine", existing["id"])
    assert f"medicine {existing['id']}" in body["detail"]
    assert Medicine.objects.count() == 1
    assert audit.named("medicine.create")[-1]["reason"] == "duplicate_medicine"


def test_same_name_in_another_form_is_a_different_medicine(pharma):
    pharma.post("/api/v1/medicines/", PARA, format="json")
    syrup = pharma.post("/api/v1/medicines/", {**PARA, "type": "syrup", "formulation": "125 mg/5 ml"}, format="json")
    assert syrup.status_code == 201


def test_the_database_refuses_a_duplicate_too(db):
    Medicine.objects.create(name="Paracetamol", type="tablet", formulation="500 mg")
    with pytest.raises(IntegrityError), transaction.atomic():
        Medicine.objects.create(name="PARACETAMOL", type="tablet", formulation="500 MG")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_creations_leave_one_medicine():
    require_postgres()
    by = UserFactory(roles=["pharmacist"])
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def create(spelling: str) -> None:
        try:
            barrier.wait()
            services.medicine_create(by=by, name=spelling, type="tablet", formulation="500 mg")
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.get_codes())  # type: ignore[arg-type]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=create, args=(s,)) for s in ["Amoxy", "amoxy", "AMOXY", " Amoxy", "amoxy ", "Amoxy"]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["created"] + ["duplicate_medicine"] * 5
    assert Medicine.objects.count() == 1


def test_stock_on_hand_counts_unexpired_batches_only(pharma, audit):
    medicine = MedicineFactory(reorder_level=100)
    StockBatchFactory(medicine=medicine, quantity_received=80, expiry_date=TODAY + dt.timedelta(days=30))
    StockBatchFactory(medicine=medicine, quantity_received=500, expiry_date=TODAY - dt.timedelta(days=1))
    StockBatchFactory(medicine=medicine, quantity_received=15, expiry_date=TODAY)  # usable through today
    listed = {m["id"]: m for m in pharma.get("/api/v1/medicines/").json()["results"]}
    assert (listed[medicine.pk]["stock_on_hand"], listed[medicine.pk]["low_stock"]) == (95, True)
    detail = pharma.get(f"/api/v1/medicines/{medicine.pk}/").json()
    assert [b["expired"] for b in detail["batches"]] == [True, False, False]
    assert audit.one("medicine.viewed")["target"] == {"type": "medicine", "id": medicine.pk}
    StockBatchFactory(medicine=medicine, quantity_received=10, expiry_date=TODAY + dt.timedelta(days=90))
    again = {m["id"]: m for m in pharma.get("/api/v1/medicines/").json()["results"]}
    assert (again[medicine.pk]["stock_on_hand"], again[medicine.pk]["low_stock"]) == (105, False)


def test_receiving_stock_is_a_batch_a_movement_and_one_event(pharma, audit, pharmacist):
    medicine = MedicineFactory()
    expiry = (TODAY + dt.timedelta(days=200)).isoformat()
    response = pharma.post(
        f"/api/v1/medicines/{medicine.pk}/batches/",
        {"batch_no": "ab-12", "expiry_date": expiry, "quantity": 300},
        format="json",
    )
    assert response.status_code == 201, response.json()
    batch = StockBatch.objects.get(pk=response.json()["id"])
    assert (batch.batch_no, batch.quantity_on_hand, batch.received_by) == ("AB-12", 300, pharmacist)
    assert list(batch.movements.values_list("kind", "quantity")) == [("received", 300)]
    event = audit.one("stock.received")
    assert event["details"]["quantity"] == 300 and event["details"]["medicine_id"] == medicine.pk
    assert [e["event"] for e in audit.events] == ["stock.received"]  # the movement is not logged twice
    topped = pharma.post(
        f"/api/v1/medicines/{medicine.pk}/batches/",
        {"batch_no": "AB-12", "expiry_date": expiry, "quantity": 20},
        format="json",
    )
    assert topped.json()["quantity_on_hand"] == 320
    assert audit.named("stock.topped_up")[-1]["changes"]["quantity_on_hand"] == {"old": 300, "new": 320}


def test_receiving_refuses_expired_or_conflicting_batches(pharma, audit):
    medicine = MedicineFactory()
    url = f"/api/v1/medicines/{medicine.pk}/batches/"
    expired = pharma.post(url, {"batch_no": "X1", "expiry_date": "2020-01-01", "quantity": 5}, format="json")
    assert (expired.status_code, expired.json()["code"]) == (400, "batch_expired")
    StockBatchFactory(medicine=medicine, batch_no="X2")
    conflict = pharma.post(url, {"batch_no": "X2", "expiry_date": "2031-01-01", "quantity": 5}, format="json")
    assert (conflict.status_code, conflict.json()["code"]) == (409, "batch_conflict")
    zero = pharma.post(url, {"batch_no": "X3", "expiry_date": "2031-01-01", "quantity": 0}, format="json")
    assert zero.status_code == 400 and "quantity" in zero.json()["fields"]
    assert StockBatch.objects.count() == 1


def test_an_adjustment_records_old_and_new_quantity_and_the_reason(pharma, audit):
    batch = StockBatchFactory(quantity_received=100)
    response = pharma.patch(
        f"/api/v1/batches/{batch.pk}/", {"quantity_on_hand": 92, "reason": "8 strips water-damaged"}, format="json"
    )
    assert response.status_code == 200
    event = audit.one("stock.adjusted")
    assert event["changes"]["quantity_on_hand"] == {"old": 100, "new": 92}
    assert event["details"]["reason"] == "8 strips water-damaged"
    assert list(batch.movements.values_list("kind", "quantity", "reason")) == [
        ("adjusted", -8, "8 strips water-damaged")
    ]


def test_a_negative_count_is_refused_by_api_service_and_database(pharma, audit):
    batch = StockBatchFactory(quantity_received=10)
    response = pharma.patch(f"/api/v1/batches/{batch.pk}/", {"quantity_on_hand": -1, "reason": "typo"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["quantity_on_hand"] == ["Stock cannot go below zero."]
    with pytest.raises(DomainError):
        services.batch_adjust(by=None, batch_id=batch.pk, quantity_on_hand=-5, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBatch.objects.filter(pk=batch.pk).update(quantity_on_hand=-1)
    batch.refresh_from_db()
    assert batch.quantity_on_hand == 10 and not batch.movements.exists()


def test_stock_is_taken_earliest_expiry_first_and_never_from_expired(db, audit):
    medicine = MedicineFactory()
    late = StockBatchFactory(medicine=medicine, quantity_received=50, expiry_date=TODAY + dt.timedelta(days=300))
    soon = StockBatchFactory(medicine=medicine, quantity_received=30, expiry_date=TODAY + dt.timedelta(days=20))
    gone = StockBatchFactory(medicine=medicine, quantity_received=90, expiry_date=TODAY - dt.timedelta(days=2))
    with transaction.atomic():
        movements = services.stock_take(by=None, medicine_id=medicine.pk, quantity=45)
    assert [(m.batch_id, m.quantity) for m in movements] == [(soon.pk, -30), (late.pk, -15)]
    for batch, left in ((soon, 0), (late, 35), (gone, 90)):
        batch.refresh_from_db()
        assert batch.quantity_on_hand == left
    with pytest.raises(services.InsufficientStock) as refused, transaction.atomic():
        services.stock_take(by=None, medicine_id=medicine.pk, quantity=36)
    assert refused.value.extra == {"medicine": medicine.pk, "requested": 36, "available": 35, "expired_on_hand": 90}
    assert StockMovement.objects.filter(kind="dispensed").count() == 2


@pytest.mark.parametrize("role", ["doctor", "volunteer", "counsellor", "auditor"])
def test_only_pharmacists_and_admins_write_stock(client_for, role):
    api = client_for(UserFactory(roles=[role]))
    batch = StockBatchFactory()
    assert api.get("/api/v1/medicines/").status_code == 200
    assert api.post("/api/v1/medicines/", PARA, format="json").status_code == 403
    assert api.post(f"/api/v1/medicines/{batch.medicine_id}/batches/", {}, format="json").status_code == 403
    assert api.patch(f"/api/v1/batches/{batch.pk}/", {}, format="json").status_code == 403


def test_medicine_list_query_count_does_not_grow(pharma):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert pharma.get("/api/v1/medicines/").status_code == 200
        return len(ctx.captured_queries)

    for medicine in MedicineFactory.create_batch(2):
        StockBatchFactory(medicine=medicine)
    small = queries()
    for medicine in MedicineFactory.create_batch(25):
        StockBatchFactory.create_batch(3, medicine=medicine)
    assert queries() == small


def test_a_duplicate_medicine_in_another_script_is_409_not_a_crash(client_for, pharmacist):
    api = client_for(pharmacist)
    body = {"name": "Ämoxil Forte", "type": "tablet", "formulation": "500 mg", "unit": "tablet"}
    first = api.post("/api/v1/medicines/", body, format="json")
    assert first.status_code == 201
    again = api.post("/api/v1/medicines/", {**body, "name": "  Ämoxil   Forte "}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_medicine")
    assert again.json()["existing_id"] == first.json()["id"]
    hindi = {**body, "name": "पैरासिटामोल"}
    assert api.post("/api/v1/medicines/", hindi, format="json").status_code == 201
    assert api.post("/api/v1/medicines/", hindi, format="json").json()["code"] == "duplicate_medicine"
