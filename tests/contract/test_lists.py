"""One list shape: every list is {count, next, previous, results}, paged, ordered, never capped."""

from __future__ import annotations

import pytest

from tests.factories import (
    CampFactory,
    ConsultationFactory,
    MedicineFactory,
    PatientFactory,
    QueueEntryFactory,
    UserFactory,
    VisitFactory,
    VitalsFactory,
)

ENVELOPE = {"count", "next", "previous", "results"}


@pytest.fixture
def one_of_each(doctor):
    visit = VisitFactory()
    VitalsFactory(visit=visit)
    ConsultationFactory(visit=visit, doctor=doctor)
    QueueEntryFactory(visit=visit, doctor=doctor)
    MedicineFactory()
    return visit


def test_every_list_has_the_one_envelope(client_for, admin_user, one_of_each):
    api, visit = client_for(admin_user), one_of_each
    lists = [
        "/api/v1/users/",
        "/api/v1/camps/",
        "/api/v1/patients/",
        "/api/v1/medicines/",
        "/api/v1/queue/",
        f"/api/v1/patients/{visit.patient_id}/vitals/",
        f"/api/v1/patients/{visit.patient_id}/consultations/",
        f"/api/v1/visits/{visit.pk}/pickup/",
    ]
    for url in lists:
        body = api.get(url).json()
        assert set(body) >= ENVELOPE, url
        assert body["count"] == len(body["results"]) >= (0 if url.endswith("pickup/") else 1), url


def test_camps_are_no_longer_capped_and_page_through(client_for, admin_user):
    CampFactory.create_batch(205)
    api = client_for(admin_user)
    first = api.get("/api/v1/camps/?page_size=200").json()
    assert first["count"] == 205 and len(first["results"]) == 200 and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    ids = [c["id"] for c in first["results"] + second["results"]]
    assert len(set(ids)) == 205
    assert len(api.get("/api/v1/camps/").json()["results"]) == 50  # the default page


BAD_PAGES = ["page_size=201", "page_size=0", "page_size=ten", "page_size=\u0665", "page=0", "page=x"]


@pytest.mark.parametrize("query", BAD_PAGES)
def test_bad_page_parameters_are_400_not_quietly_replaced(client_for, admin_user, query):
    response = client_for(admin_user).get(f"/api/v1/camps/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and set(response.json()["fields"]) == {query.split("=")[0]}


def test_a_page_past_the_last_is_404(client_for, admin_user):
    CampFactory()
    response = client_for(admin_user).get("/api/v1/camps/?page=2")
    assert response.status_code == 404 and response.json()["code"] == "page_not_found"


def test_ordering_orders_and_an_unknown_order_is_refused(client_for, admin_user):
    for name in ("Charlie", "alpha", "Bravo"):
        PatientFactory(name=name)
    api = client_for(admin_user)
    names = [p["name"] for p in api.get("/api/v1/patients/?ordering=-name").json()["results"]]
    assert names == sorted(names, reverse=True) and len(names) == 3
    refused = api.get("/api/v1/patients/?ordering=phone")
    assert refused.status_code == 400 and "-name" in refused.json()["fields"]["ordering"][0]


def test_users_are_ordered_by_date_joined_on_request(client_for, admin_user):
    UserFactory(username="zed")
    UserFactory(username="amy")
    listed = client_for(admin_user).get("/api/v1/users/?ordering=-date_joined").json()["results"]
    names = [u["username"] for u in listed]
    assert names[:2] == ["amy", "zed"]


def test_the_queue_counts_every_entry_not_only_the_page(client_for, admin_user, doctor, doctor2):
    for _ in range(3):
        QueueEntryFactory(doctor=doctor)
    QueueEntryFactory(doctor=doctor2)
    body = client_for(admin_user).get("/api/v1/queue/?page_size=1").json()
    assert body["count"] == 4 and len(body["results"]) == 1 and body["scope"] == "all"
    assert {row["doctor"]: row["total"] for row in body["counts"]} == {doctor.pk: 3, doctor2.pk: 1}
    assert all(row["waiting"] == row["total"] for row in body["counts"])
