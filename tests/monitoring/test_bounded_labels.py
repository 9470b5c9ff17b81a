"""After a camp day's traffic (and junk), every label value of every MedCamp metric is from a bounded set."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import get_resolver

from audit.event_types import EVENTS
from core.metrics import METHODS, UNMATCHED, url_route_templates
from patients.models import Visit
from tests.factories import CampFactory, MedicineFactory, StockBatchFactory, UserFactory
from tests.monitoring.scrape import samples

pytestmark = pytest.mark.django_db


def camp_day(client_for) -> None:
    """One patient through the API, the doctor's and pharmacist's pages, and junk on every door."""
    camp = CampFactory(status="active")
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine)
    doctor = UserFactory(roles=["doctor"])
    vol = client_for(UserFactory(roles=["volunteer"]))
    patient = vol.post("/api/v1/patients/", {"book_no": "LB-1", "name": "Label Test", "age_years": 40,
                                             "sex": "female", "area": "Kothur"}, format="json").json()  # fmt: skip
    visit = vol.post(f"/api/v1/patients/{patient['id']}/visits/", {"camp": camp.pk}, format="json").json()
    vitals = {"bp_systolic": 130, "bp_diastolic": 85, "pulse": 72}
    vol.post(f"/api/v1/visits/{visit['id']}/vitals/", vitals, format="json")
    vol.post("/api/v1/queue/", {"visit": visit["id"], "doctor": doctor.pk}, format="json")
    doc = client_for(doctor)
    doc.get("/api/v1/queue/?mine=1")
    for junk in ("/api/v1/patients/abc/", "/api/v1/patients/99999999999/", "/api/v1/visits/?page=-1",
                 "/admin/patients/patient/123456/change/", "/wp-login.php", "/" + "x" * 500):  # fmt: skip
        vol.get(junk)
    Client().post("/api/v1/auth/login/", {"username": "Label Test", "password": "x"}, content_type="application/json")
    assert Visit.objects.filter(pk=visit["id"]).exists()


def test_every_label_value_is_from_a_bounded_set(client_for):
    camp_day(client_for)
    text = Client().get("/metrics").content.decode()
    allowed = {
        "route": url_route_templates(get_resolver().url_patterns) | {UNMATCHED},
        "method": set(METHODS) | {"other"},
        "status": {f"{n}xx" for n in range(1, 6)} | {"other"},
        "family": {entry.name.split(".", 1)[0] for entry in EVENTS},
        "outcome": {"success", "failure"},
        "sink": {"store", "console", "file", "logbull", "witness"},
        "result": {"sent", "queued", "retried", "spooled", "dropped", "rejected"},
        "kind": {"forgery", "rewritten", "replay", "clock_skew", "ship_refused"},
        "door": {"api", "admin", "other"},
        "stage": set(Visit.Status.values),
        "check": {"database", "redis", "spool", "audit"},
        "le": None,  # histogram buckets: numbers
    }
    seen = 0
    for name, labels, _ in samples(text):
        for label, given in labels.items():
            assert label in allowed, f"{name} has an undeclared label {label}"
            if allowed[label] is not None:
                assert given in allowed[label], f"{name}{{{label}={given!r}}} is not from its bounded set"
            seen += 1
    assert seen > 50
    values = [given for _, labels, _ in samples(text) for given in labels.values()]
    for secret in ("Label Test", "LB-1", "99999999999", "123456", "wp-login", "xxxxx"):
        assert not [given for given in values if secret in given], secret  # in no label (digits may be in a value)
