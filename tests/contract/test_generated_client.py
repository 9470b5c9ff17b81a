"""The mobile app's view of the API: a client generated from the schema runs a camp flow.

openapi-python-client (pinned in requirements-dev.txt) generates a typed client from
`GET /api/v1/schema/` into a temporary folder at test time; nothing generated is committed.
Its requests go to the WSGI application in process (httpx's WSGI transport), so the test
runs on the suite's database, SQLite or PostgreSQL. A schema that lied about a response
would fail here: the client parses every answer into the models the schema describes.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client

from clinic.wsgi import application
from consultations.models import Prescription
from pharmacy.models import StockBatch
from tests.factories import PASSWORD, CampFactory, MedicineFactory, StockBatchFactory, UserFactory

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
CONFIG = Path(__file__).with_name("openapi-python-client.yml")


@pytest.fixture(scope="module")
def mc(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[Any]:
    """The generated package, imported."""
    work = tmp_path_factory.mktemp("generated")
    with django_db_blocker.unblock():
        schema = Client().get("/api/v1/schema/?format=json").json()
    (work / "schema.json").write_text(json.dumps(schema))
    command = [str(GENERATOR), "generate", "--path", str(work / "schema.json"), "--meta", "none"]
    command += ["--output-path", str(work / "medcamp_client"), "--config", str(CONFIG)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr  # every schema part understood
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module("medcamp_client")
    finally:
        sys.path.remove(str(work))
        for name in [n for n in sys.modules if n.startswith("medcamp_client")]:
            del sys.modules[name]


def _op(tag: str, operation: str) -> Any:
    return importlib.import_module(f"medcamp_client.api.{tag}.{operation}")


def _transport() -> httpx.WSGITransport:
    return httpx.WSGITransport(app=application)


def sign_in(mc: Any, username: str) -> Any:
    """Log in through the generated client; returns a client carrying the access token."""
    anonymous = mc.Client(base_url="http://testserver", httpx_args={"transport": _transport()})
    login = _op("auth", "auth_login_create")
    models = importlib.import_module("medcamp_client.models")
    pair = login.sync(client=anonymous, body=models.LoginRequest(username=username, password=PASSWORD))
    assert isinstance(pair, models.TokenPair), pair
    transport = {"transport": _transport()}
    return mc.AuthenticatedClient(base_url="http://testserver", token=pair.access, httpx_args=transport)


@pytest.mark.django_db
def test_the_generated_client_runs_a_camp_flow(mc, wsgi_in_test):
    m = importlib.import_module("medcamp_client.models")
    for username, role in (("vic", "volunteer"), ("rao", "doctor"), ("pat", "pharmacist")):
        UserFactory(username=username, roles=[role])
    camp, medicine = CampFactory(status="active"), MedicineFactory(name="Amlodipine")
    StockBatchFactory(medicine=medicine, quantity_received=30)
    volunteer, doctor, pharmacist = sign_in(mc, "vic"), sign_in(mc, "rao"), sign_in(mc, "pat")
    rao_id = _op("auth", "auth_me_retrieve").sync(client=doctor).id

    # Desk: search, register, a visit, vitals, the queue.
    found = _op("patients", "patients_search").sync(client=volunteer, search="Lakshmi", page_size=20)
    assert isinstance(found, m.PaginatedPatientList) and found.count == 0
    patient = _op("patients", "patients_create").sync(
        client=volunteer,
        body=m.PatientRequest(book_no="KT-7001", name="Lakshmi", age_years=58, sex=m.SexEnum.FEMALE, area="Kothur"),
        idempotency_key="desk-1",
    )
    assert isinstance(patient, m.Patient), patient
    visit = _op("patients", "patients_visits_create").sync(
        patient.id, client=volunteer, body=m.VisitRegisterRequest(camp=camp.pk)
    )
    assert isinstance(visit, m.Visit) and visit.token_number == 1
    vitals = m.VitalsRequest(bp_systolic=150, bp_diastolic=95, pulse=80, rbs=140, weight_kg="58.5", height_cm="152")
    assert isinstance(_op("visits", "visits_vitals_create").sync(visit.id, client=volunteer, body=vitals), m.Vitals)
    entry = _op("queue", "queue_create").sync(
        client=volunteer, body=m.QueueAssignRequest(visit=visit.id, doctor=rao_id, priority=m.PriorityEnum.URGENT)
    )
    assert isinstance(entry, m.QueueEntry), entry

    # Doctor: the queue, a consultation, a prescription sent twice with one key.
    queue = _op("queue", "queue_list").sync(client=doctor, doctor=rao_id, ordering=m.QueueListOrdering.PRIORITY)
    assert isinstance(queue, m.PaginatedQueueEntryList) and [e.id for e in queue.results] == [entry.id]
    assert queue.counts[0].waiting == 1 and queue.scope == m.ScopeEnum.DOCTOR
    consultation = _op("consultations", "consultations_create").sync(
        client=doctor, body=m.ConsultationOpenRequest(queue_entry=entry.id, chief_complaint="giddiness")
    )
    assert isinstance(consultation, m.Consultation), consultation
    prescribe = _op("consultations", "consultations_prescriptions_create")
    body = m.PrescriptionRequest(medicine=medicine.pk, quantity=10)
    first = prescribe.sync_detailed(consultation.id, client=doctor, body=body, idempotency_key="rx-1")
    retry = prescribe.sync_detailed(consultation.id, client=doctor, body=body, idempotency_key="rx-1")
    assert first.status_code == retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.parsed.id == first.parsed.id and Prescription.objects.count() == 1
    done = _op("queue", "queue_partial_update").sync(
        entry.id, client=doctor, body=m.PatchedQueueUpdateRequest(status=m.QueueStatusEnum.COMPLETED)
    )
    assert isinstance(done, m.QueueEntry) and done.status == m.QueueStatusEnum.COMPLETED

    # Pharmacy: what to pick up, then the pickup.
    pickup = _op("visits", "visits_pickup_list").sync(visit.id, client=pharmacist)
    assert isinstance(pickup, m.PaginatedPickupLineList) and pickup.results[0].remaining == 10
    items = [m.DispenseItemRequest(prescription=first.parsed.id, quantity=10)]
    served = _op("visits", "visits_dispense_create").sync(
        visit.id, client=pharmacist, body=m.DispenseRequestRequest(items=items), idempotency_key="pickup-1"
    )
    assert isinstance(served, m.DispenseResult), served
    assert StockBatch.objects.get(medicine=medicine).quantity_on_hand == 20

    # A refusal comes back as the schema's Error model.
    again = _op("visits", "visits_dispense_create").sync(
        visit.id, client=pharmacist, body=m.DispenseRequestRequest(items=items)
    )
    assert isinstance(again, m.Error) and again.code
