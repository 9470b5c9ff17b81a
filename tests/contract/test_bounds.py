"""Ids and numbers beyond what the database stores, and digits that are not ASCII: 400 or 404
in the error shape, on SQLite and PostgreSQL alike, never a 500."""

from __future__ import annotations

import pytest

from consultations.models import Consultation, QueueEntry
from tests.factories import MedicineFactory, StockBatchFactory, UserFactory, VisitFactory

HUGE = 10**20  # beyond a 64-bit integer
BIG = 10**12  # beyond a 32-bit integer column
SUPERSCRIPT_TWO, ARABIC_INDIC_THREE = "\u00b2", "\u0663"  # str.isdigit() says True to both


@pytest.fixture
def world(db, doctor):
    visit = VisitFactory(status="in_consultation")
    entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="in_consultation")
    consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)
    return {"visit": visit, "consultation": consultation, "batch": StockBatchFactory(), "medicine": MedicineFactory()}


def test_query_string_ids(client_for, admin_user, world):
    api, patient = client_for(admin_user), world["visit"].patient_id
    for query in (SUPERSCRIPT_TWO, ARABIC_INDIC_THREE, str(HUGE), "-1", "1.0"):
        for url in (f"/api/v1/patients/{patient}/status/?camp={query}", f"/api/v1/queue/?patient={query}"):
            response = api.get(url)
            assert response.status_code == 400, (url, response.status_code)
            assert response.json()["code"] == "invalid"
    assert api.get(f"/api/v1/queue/?doctor={ARABIC_INDIC_THREE}").status_code == 400
    assert api.get(f"/api/v1/camps/?page={10**30}").status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/{n}/",
        "/api/v1/patients/{n}/status/",
        "/api/v1/patients/{n}/vitals/",
        "/api/v1/visits/{n}/",
        "/api/v1/visits/{n}/pickup/",
        "/api/v1/camps/{n}/",
        "/api/v1/users/{n}/",
        "/api/v1/batches/{n}/",
        "/api/v1/prescriptions/{n}/",
    ],
)
def test_path_ids_beyond_range_are_404(client_for, admin_user, path):
    for n in (HUGE, 2**63):
        response = client_for(admin_user).get(path.format(n=n))
        assert response.status_code == 404 and response.json()["code"] == "not_found", path


def test_numbers_in_bodies_beyond_their_columns_are_400(client_for, admin_user, doctor, world):
    admin, rao = client_for(admin_user), client_for(doctor)
    visit, consultation, batch = world["visit"], world["consultation"], world["batch"]
    vitals = {"bp_systolic": BIG, "bp_diastolic": 80, "pulse": 70, "rbs": 100, "weight_kg": 50, "height_cm": 150}
    requests = [  # (send, url, body, the field the refusal names, or None for a 404)
        (admin.post, f"/api/v1/visits/{visit.pk}/vitals/", vitals, "bp_systolic"),
        (admin.post, "/api/v1/patients/", _patient(age_years=BIG), "age_years"),
        (admin.post, f"/api/v1/medicines/{world['medicine'].pk}/batches/", _batch(quantity=BIG), "quantity"),
        (admin.patch, f"/api/v1/batches/{batch.pk}/", {"quantity_on_hand": BIG, "reason": "count"}, "quantity_on_hand"),
        (rao.post, f"/api/v1/consultations/{consultation.pk}/prescriptions/", _rx(HUGE, 1), "medicine"),
        (
            rao.post,
            f"/api/v1/consultations/{consultation.pk}/prescriptions/",
            _rx(world["medicine"].pk, BIG),
            "quantity",
        ),
        (admin.post, "/api/v1/queue/", {"visit": HUGE, "doctor": doctor.pk}, "visit"),
        (admin.post, f"/api/v1/users/{HUGE}/roles/", {"role": "doctor"}, None),
    ]
    for send, url, body, field in requests:
        response = send(url, body, format="json")
        if field is None:
            assert response.status_code == 404, url
        else:
            assert response.status_code == 400, (url, response.status_code, response.content[:200])
            assert field in response.json()["fields"], (url, response.json())


def _patient(**changes):
    return {"book_no": "X-1", "name": "N", "age_years": 40, "sex": "male", "area": "A", **changes}


def _batch(quantity):
    return {"batch_no": "B-1", "quantity": quantity, "expiry_date": "2099-01-01"}


def _rx(medicine, quantity):
    return {"medicine": medicine, "quantity": quantity}


def test_a_user_id_beyond_range_in_a_role_change_is_404(client_for, admin_user):
    UserFactory()
    assert client_for(admin_user).delete(f"/api/v1/users/{HUGE}/roles/doctor/").status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/medicines/?search=", "/api/v1/patients/?search=", "/api/v1/patients/?name="])
def test_a_nul_in_a_search_is_400_not_a_database_error(client_for, admin_user, url):
    """PostgreSQL refuses NUL in text; the fuzzer found medicines/ answering 500 for it."""
    MedicineFactory(name="Amlodipine")
    api = client_for(admin_user)
    response = api.get(url + "Aml\x00")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert api.get(url + "x" * 201).status_code == 400  # longer than any name: said, not cut
    assert api.get("/api/v1/medicines/?search=aml").json()["count"] == 1
