"""Prescriptions: their events, field-level diffs, replacement, withdrawal and refusals."""

from __future__ import annotations

import pytest

from audit.state import of as state_of
from consultations.models import Consultation, Prescription, QueueEntry
from consultations.services import prescriptions as services
from tests.factories import MedicineFactory, VisitFactory


@pytest.fixture
def consultation(db, doctor):
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    return Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)


@pytest.fixture
def rao(client_for, doctor):
    return client_for(doctor)


def prescribe(api, consultation, **payload):
    response = api.post(f"/api/v1/consultations/{consultation.pk}/prescriptions/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_prescription_event_carries_the_medicine_and_dosage(rao, consultation, audit):
    medicine = MedicineFactory(name="Amlodipine", type="tablet", formulation="5 mg")
    body = prescribe(
        rao,
        consultation,
        medicine=medicine.pk,
        quantity=30,
        days=30,
        time_slots=["night", "morning"],
        instructions="after food",
    )
    assert body["time_slots"] == ["morning", "night"] and body["remaining"] == 30
    event = audit.one("prescription.created")
    assert event["details"] == {
        "medicine_id": medicine.pk,
        "medicine": "Amlodipine",
        "type": "tablet",
        "formulation": "5 mg",
        "quantity": 30,
        "days": 30,
        "time_slots": ["morning", "night"],
        "instructions": "after food",
        "state": state_of(Prescription.objects.get(pk=body["id"])),
    }
    assert event["target"] == {"type": "prescription", "id": body["id"]}
    assert event["visit_id"] == consultation.visit_id
    assert [e["event"] for e in audit.events] == ["prescription.created"]


def test_without_days_or_slots_the_event_leaves_them_out(rao, consultation, audit):
    medicine = MedicineFactory()
    prescribe(rao, consultation, medicine=medicine.pk, quantity=10)
    assert set(audit.one("prescription.created")["details"]) == {
        "state",
        "medicine_id",
        "medicine",
        "type",
        "formulation",
        "quantity",
    }


def test_an_update_is_a_field_level_diff(rao, consultation, audit):
    rx = prescribe(rao, consultation, medicine=MedicineFactory().pk, quantity=10, days=5)
    response = rao.patch(f"/api/v1/prescriptions/{rx['id']}/", {"quantity": 15, "days": 5}, format="json")
    assert response.status_code == 200
    event = audit.one("prescription.updated")
    assert event["changes"] == {"quantity": {"old": 10, "new": 15}}
    assert event["details"]["quantity"] == 15


def test_changing_the_medicine_replaces_the_prescription(rao, consultation, audit):
    para, ibu = MedicineFactory(name="Paracetamol"), MedicineFactory(name="Ibuprofen")
    rx = prescribe(rao, consultation, medicine=para.pk, quantity=10, days=3, time_slots=["morning"])
    response = rao.patch(f"/api/v1/prescriptions/{rx['id']}/", {"medicine": ibu.pk}, format="json")
    assert response.status_code == 200
    new = response.json()
    assert new["id"] != rx["id"] and new["replaces"] == rx["id"]
    assert (new["medicine"], new["quantity"], new["days"], new["time_slots"]) == (ibu.pk, 10, 3, ["morning"])
    old = Prescription.objects.get(pk=rx["id"])
    assert old.status == "replaced" and old.replaced_by.pk == new["id"]
    replaced = audit.one("prescription.replaced")
    assert replaced["changes"] == {"status": {"old": "active", "new": "replaced"}}
    assert (replaced["details"]["medicine"], replaced["details"]["new_medicine"]) == ("Paracetamol", "Ibuprofen")
    created = audit.named("prescription.created")[-1]
    assert created["details"]["replaces"] == rx["id"] and created["details"]["medicine"] == "Ibuprofen"


@pytest.mark.parametrize(
    ("status", "dispensed", "code"),
    [
        ("replaced", 0, "prescription_replaced"),
        ("dispensed", 10, "prescription_dispensed"),
        ("active", 4, "prescription_dispensed"),
        ("deleted", 0, "prescription_deleted"),
    ],
)
def test_a_final_prescription_cannot_be_edited_or_deleted(rao, consultation, audit, status, dispensed, code):
    rx = Prescription.objects.create(
        consultation=consultation, medicine=MedicineFactory(), quantity=10, quantity_dispensed=dispensed, status=status
    )
    edit = rao.patch(f"/api/v1/prescriptions/{rx.pk}/", {"quantity": 20}, format="json")
    delete = rao.delete(f"/api/v1/prescriptions/{rx.pk}/")
    assert (edit.status_code, edit.json()["code"]) == (409, code)
    assert (delete.status_code, delete.json()["code"]) == (409, code)
    rx.refresh_from_db()
    assert (rx.status, rx.quantity) == (status, 10) and rx.history.count() == 1  # only its creation
    assert [e["reason"] for e in audit.events] == [code, code]


def test_delete_withdraws_but_keeps_the_prescription(rao, consultation, audit):
    rx = prescribe(rao, consultation, medicine=MedicineFactory().pk, quantity=10)
    response = rao.delete(f"/api/v1/prescriptions/{rx['id']}/")
    assert response.status_code == 200 and response.json()["status"] == "deleted"
    event = audit.one("prescription.deleted")
    assert event["action"] == "delete" and event["details"]["quantity"] == 10
    assert Prescription.objects.filter(pk=rx["id"]).exists()


def test_inactive_or_unknown_medicine_is_400(rao, consultation):
    inactive = MedicineFactory(active=False)
    for medicine in (inactive.pk, 999999):
        response = rao.post(
            f"/api/v1/consultations/{consultation.pk}/prescriptions/",
            {"medicine": medicine, "quantity": 3},
            format="json",
        )
        assert response.status_code == 400 and "medicine" in response.json()["fields"]
    bad = rao.post(
        f"/api/v1/consultations/{consultation.pk}/prescriptions/",
        {"medicine": MedicineFactory().pk, "quantity": 0, "time_slots": ["noon"]},
        format="json",
    )
    assert bad.status_code == 400 and {"quantity", "time_slots"} <= set(bad.json()["fields"])
    assert not Prescription.objects.exists()


def test_services_used_outside_http_are_logged_too(consultation, doctor, audit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.prescription_create(
            by=doctor, consultation_id=consultation.pk, medicine_id=MedicineFactory().pk, quantity=5
        )
    event = audit.one("prescription.created")
    assert event["source"] == "command" and event["actor"]["username"] == "dr_rao"
