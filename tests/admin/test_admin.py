"""Django admin obeys the API's rules, logs the same events (source: admin), and shows each role its share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from consultations.models import Consultation, Prescription, QueueEntry
from pharmacy.models import StockBatch
from tests.factories import PASSWORD, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def login(role: str, **kwargs) -> tuple[Client, object]:
    user = UserFactory(roles=[role], **kwargs)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client, user


def post(client: Client, url: str, data: dict) -> object:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, follow=True)


@pytest.fixture
def consultation(db):
    doctor = UserFactory(roles=["doctor"], username="dr_admin")
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    return Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry, chief_complaint="cough")


def test_a_doctor_edits_a_consultation_in_admin_with_the_same_event(consultation, audit):
    client = Client()
    assert client.login(username="dr_admin", password=PASSWORD)
    response = post(
        client,
        f"/admin/consultations/consultation/{consultation.pk}/change/",
        {
            "chief_complaint": "cough",
            "diagnosis": "bronchitis",
            "advice": "steam",
            "counselling_status": "not_required",
            "prescriptions-TOTAL_FORMS": "0",
            "prescriptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    consultation.refresh_from_db()
    assert consultation.diagnosis == "bronchitis"
    event = audit.one("consultation.updated")
    assert event["source"] == "admin" and event["actor"]["username"] == "dr_admin"
    assert event["changes"] == {"diagnosis": {"old": "", "new": "bronchitis"}, "advice": {"old": "", "new": "steam"}}


def test_another_doctor_is_refused_in_admin_too(consultation, audit):
    client, _ = login("doctor", username="dr_other")
    response = post(
        client,
        f"/admin/consultations/consultation/{consultation.pk}/change/",
        {
            "chief_complaint": "x",
            "diagnosis": "y",
            "advice": "",
            "counselling_status": "not_required",
            "prescriptions-TOTAL_FORMS": "0",
            "prescriptions-INITIAL_FORMS": "0",
        },
    )
    assert "Not saved" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.diagnosis == ""
    refused = audit.one("consultation.update")
    assert (refused["outcome"], refused["reason"], refused["source"]) == ("failure", "not_your_patient", "admin")


def test_stock_never_goes_below_zero_through_admin(audit):
    client, _ = login("pharmacist")
    batch = StockBatchFactory(quantity_received=10)
    response = post(
        client, f"/admin/pharmacy/stockbatch/{batch.pk}/change/", {"quantity_on_hand": "-4", "reason": "miscount"}
    )
    assert "stockbatch_on_hand_not_negative" in response.content.decode()  # the CHECK, via form validation
    batch.refresh_from_db()
    assert batch.quantity_on_hand == 10 and not batch.movements.exists()
    refused = audit.one("stock_batch.update")
    assert (refused["outcome"], refused["reason"], refused["source"]) == ("failure", "invalid", "admin")
    from pharmacy import services

    with pytest.raises(services.DomainError):  # and the service behind the form refuses it too
        services.batch_adjust(by=None, batch_id=batch.pk, quantity_on_hand=-4, reason="miscount")
    ok = post(client, f"/admin/pharmacy/stockbatch/{batch.pk}/change/", {"quantity_on_hand": "7", "reason": "miscount"})
    assert ok.status_code == 200
    batch.refresh_from_db()
    assert batch.quantity_on_hand == 7
    adjusted = audit.one("stock.adjusted")
    assert adjusted["source"] == "admin" and adjusted["details"]["reason"] == "miscount"


def test_a_pharmacist_receives_stock_in_admin(audit):
    client, _ = login("pharmacist")
    medicine = MedicineFactory()
    expiry = (timezone.localdate() + dt.timedelta(days=300)).isoformat()
    post(
        client,
        "/admin/pharmacy/stockbatch/add/",
        {"medicine": medicine.pk, "batch_no": "adm-1", "expiry_date": expiry, "quantity_received": "120"},
    )
    batch = StockBatch.objects.get(batch_no="ADM-1")
    assert batch.quantity_on_hand == 120 and batch.movements.get().kind == "received"
    assert audit.one("stock.received")["source"] == "admin"


def test_a_dispensed_prescription_is_not_edited_in_admin(consultation, audit):
    rx = Prescription.objects.create(
        consultation=consultation, medicine=MedicineFactory(), quantity=5, quantity_dispensed=5, status="dispensed"
    )
    client = Client()
    client.login(username="dr_admin", password=PASSWORD)
    response = post(
        client,
        f"/admin/consultations/prescription/{rx.pk}/change/",
        {
            "medicine": rx.medicine_id,
            "quantity": "9",
            "days": "",
            "time_slots": "[]",
            "instructions": "",
            "dispenses-TOTAL_FORMS": "0",
            "dispenses-INITIAL_FORMS": "0",
        },
    )
    assert "Not saved" in response.content.decode()
    rx.refresh_from_db()
    assert rx.quantity == 5
    assert audit.one("prescription.update")["reason"] == "prescription_dispensed"


def test_status_transitions_hold_in_admin(audit):
    client, _ = login("admin")
    visit = VisitFactory()
    response = post(
        client,
        f"/admin/patients/visit/{visit.pk}/change/",
        {
            "status": "completed",
            **{
                f"{p}-{k}": "0"
                for p in ("vitals", "queue_entries", "consultations")
                for k in ("TOTAL_FORMS", "INITIAL_FORMS")
            },
        },
    )
    assert (
        "Not saved" in response.content.decode()
        and "cannot move from registered to completed" in response.content.decode()
    )
    visit.refresh_from_db()
    assert visit.status == "registered"
    assert audit.one("visit.update")["reason"] == "invalid_transition"


SEES = {
    "volunteer": (
        {"patients", "visits", "vitals", "queue entries", "medical camps", "medicines"},
        {"stock batches", "users", "stock movements"},
    ),
    "pharmacist": (
        {"medicines", "stock batches", "stock movements", "prescriptions", "dispenses"},
        {"users", "vitals"},
    ),
    "counsellor": ({"consultations", "patients"}, {"stock batches", "prescriptions", "users"}),
    "auditor": ({"users", "patients", "visits", "stock movements", "dispenses", "consultations"}, set()),
}


@pytest.mark.parametrize("role", sorted(SEES))
def test_each_role_sees_its_share_of_admin(db, role):
    client, _ = login(role)
    index = client.get("/admin/")
    assert index.status_code == 200
    shown = {model["name"].lower() for app in index.context["app_list"] for model in app["models"]}
    visible, hidden = SEES[role]
    assert visible <= shown, visible - shown
    assert not (hidden & shown), hidden & shown


def test_an_auditor_reads_everything_and_changes_nothing(audit):
    client, _ = login("auditor")
    patient = PatientFactory()
    assert client.get("/admin/patients/patient/").status_code == 200
    assert client.get(f"/admin/patients/patient/{patient.pk}/change/").status_code == 200
    assert client.get("/admin/patients/patient/add/").status_code == 403
    response = client.post(f"/admin/patients/patient/{patient.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.name != "Changed"


def test_history_is_for_admins_and_auditors_and_read_only(audit):
    from patients import services

    patient = PatientFactory(name="First Name")
    editor = UserFactory(roles=["volunteer"], username="editor_vol")
    services.patient_update(by=editor, patient_id=patient.pk, name="Second Name")
    auditor, _ = login("auditor")
    page = auditor.get(f"/admin/patients/patient/{patient.pk}/history/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Name:" in text and "First Name" in text and "Second Name" in text
    assert editor.display_name() in text  # who changed it
    volunteer, _ = login("volunteer")
    assert volunteer.get(f"/admin/patients/patient/{patient.pk}/history/").status_code == 403
    version = patient.history.order_by("history_id").first()
    revert = auditor.post(f"/admin/patients/patient/{patient.pk}/history/{version.history_id}/", {"name": "First Name"})
    assert revert.status_code == 403
    admin_client, _ = login("admin")
    assert (
        admin_client.post(
            f"/admin/patients/patient/{patient.pk}/history/{version.history_id}/", {"name": "First Name"}
        ).status_code
        == 403
    )
    patient.refresh_from_db()
    assert patient.name == "Second Name"
    assert [e["reason"] for e in audit.named("patient.revert")] == ["history_is_read_only"] * 2
