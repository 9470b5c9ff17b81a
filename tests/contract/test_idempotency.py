"""Idempotency-Key: a retried write gets its first answer again and writes nothing (api.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from consultations.models import Consultation, Prescription, QueueEntry
from core import idempotency
from core.models import IdempotentAnswer
from pharmacy.models import StockBatch
from tests.consultations.test_pickup import consulted_visit
from tests.factories import MedicineFactory, StockBatchFactory, VisitFactory


@pytest.fixture
def consultation(db, doctor):
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    return Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)


def prescribe(api, consultation, medicine, key=None, quantity=10):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    url = f"/api/v1/consultations/{consultation.pk}/prescriptions/"
    return api.post(url, {"medicine": medicine.pk, "quantity": quantity}, format="json", **headers)


def test_the_same_prescription_twice_with_one_key_is_one_prescription(client_for, doctor, consultation, audit):
    api, medicine = client_for(doctor), MedicineFactory()
    first = prescribe(api, consultation, medicine, key="rx-7f3a")
    again = prescribe(api, consultation, medicine, key="rx-7f3a")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Prescription.objects.filter(consultation=consultation).count() == 1
    assert audit.names().count("prescription.created") == 1
    replay = audit.one("request.replayed")
    assert replay["details"]["status"] == 201 and replay["details"]["method"] == "POST"
    assert replay["actor"]["username"] == doctor.username


def test_a_dispense_retried_with_its_key_takes_stock_once(client_for, pharmacist, doctor, audit):
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine, quantity_received=20, expiry_date=dt.date.today() + dt.timedelta(days=90))
    visit, (rx,) = consulted_visit(doctor, (medicine, 6))
    api = client_for(pharmacist)
    payload = {"items": [{"prescription": rx.pk, "quantity": 6}]}
    url = f"/api/v1/visits/{visit.pk}/dispense/"
    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="pickup-1")
    again = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="pickup-1")
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert StockBatch.objects.filter(medicine=medicine).aggregate(left=Sum("quantity_on_hand"))["left"] == 14
    assert audit.names().count("visit.picked_up") == 1 and audit.names().count("request.replayed") == 1


def test_the_same_key_with_another_body_is_422_and_writes_nothing(client_for, doctor, consultation):
    api, medicine = client_for(doctor), MedicineFactory()
    prescribe(api, consultation, medicine, key="k1", quantity=10)
    reused = prescribe(api, consultation, MedicineFactory(), key="k1", quantity=5)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert Prescription.objects.filter(consultation=consultation).count() == 1


def test_the_same_key_on_another_path_is_422(client_for, doctor, consultation):
    api = client_for(doctor)
    prescribe(api, consultation, MedicineFactory(), key="k2")
    other = api.patch(f"/api/v1/consultations/{consultation.pk}/", {"diagnosis": "x"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert other.status_code == 422


def test_keys_are_per_user(client_for, doctor, doctor2, consultation):
    medicine = MedicineFactory()
    prescribe(client_for(doctor), consultation, medicine, key="shared")
    other = prescribe(client_for(doctor2), consultation, medicine, key="shared")
    assert "Idempotent-Replayed" not in other  # processed as its own request, not the other doctor's answer
    assert IdempotentAnswer.objects.filter(key="shared").count() == 2


def test_a_refusal_is_stored_and_replayed_too(client_for, doctor, consultation):
    api = client_for(doctor)
    gone = MedicineFactory(active=False)
    first = prescribe(api, consultation, gone, key="refused")
    again = prescribe(api, consultation, gone, key="refused")
    assert first.status_code == again.status_code and 400 <= first.status_code < 500
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_a_key_is_free_again_after_24_hours(client_for, doctor, consultation):
    api, medicine = client_for(doctor), MedicineFactory()
    prescribe(api, consultation, medicine, key="old")
    IdempotentAnswer.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=24, minutes=1))
    later = prescribe(api, consultation, MedicineFactory(), key="old")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert IdempotentAnswer.objects.count() == 1


def test_a_key_still_running_is_409(client_for, doctor, consultation):
    idempotency.PROCESS.hold(doctor.pk, "busy")  # as if its first request were still being served
    try:
        busy = prescribe(client_for(doctor), consultation, MedicineFactory(), key="busy")
    finally:
        idempotency.PROCESS.release(doctor.pk, "busy")
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_progress"
    assert not Prescription.objects.exists() and not IdempotentAnswer.objects.exists()


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9"])
def test_a_malformed_key_is_400(client_for, doctor, consultation, key):
    response = prescribe(client_for(doctor), consultation, MedicineFactory(), key=key or None)
    if not key:  # an empty header is no header for the test client; send it raw
        url = f"/api/v1/consultations/{consultation.pk}/prescriptions/"
        response = client_for(doctor).post(url, {"medicine": 1}, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["fields"]


def test_a_server_error_is_not_stored(client_for, doctor, consultation, monkeypatch):
    from consultations.services import prescriptions

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(prescriptions, "prescription_create", broken)
    api = client_for(doctor)
    api.raise_request_exception = False
    assert prescribe(api, consultation, MedicineFactory(), key="boom").status_code == 500
    assert not IdempotentAnswer.objects.exists()


def test_without_a_key_nothing_changes(client_for, doctor, consultation):
    api, medicine = client_for(doctor), MedicineFactory()
    first, second = prescribe(api, consultation, medicine), prescribe(api, consultation, MedicineFactory())
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in second and not IdempotentAnswer.objects.exists()
    assert Prescription.objects.filter(consultation=consultation).count() == 2
