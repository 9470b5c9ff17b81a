"""Two app servers on two ports, one PostgreSQL: scarce stock and token numbers under load."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Sum

from camps.models import MedicalCamp
from consultations.models import Consultation, Dispense, Prescription, QueueEntry
from patients.models import Visit
from pharmacy.models import StockBatch, StockMovement
from tests import servers
from tests.conftest import require_postgres
from tests.factories import PASSWORD, CampFactory, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def token(server: servers.Server, username: str) -> str:
    response = requests.post(
        f"{server.url}/api/v1/auth/login/", json={"username": username, "password": PASSWORD}, timeout=10
    )
    response.raise_for_status()
    return str(response.json()["access"])


def hammer(jobs: list[tuple[str, str, dict]], tokens: dict[str, str]) -> list[requests.Response]:
    """Send every job (url, server, body) at once from its own thread; returns the responses in job order."""
    return servers.at_once(
        [
            partial(requests.post, url, json=body, headers={"Authorization": f"Bearer {tokens[base]}"}, timeout=60)
            for url, base, body in jobs
        ]
    )


def read_events(*dirs: Path) -> list[dict]:
    return [json.loads(line) for d in dirs for line in (d / "audit.jsonl").read_text().splitlines()]


def test_two_servers_share_one_database_without_losing_a_unit(tmp_path):
    require_postgres()
    for username, role in (("ph_load", "pharmacist"), ("vol_load", "volunteer")):
        user = UserFactory(username=username, roles=[role])
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the servers verify
        user.save(update_fields=["password"])
    doctor = UserFactory(roles=["doctor"])
    camp = CampFactory()
    medicine = MedicineFactory()
    for days, quantity in ((40, 23), (80, 17), (120, 10)):  # 50 units in three batches
        StockBatchFactory(
            medicine=medicine, quantity_received=quantity, expiry_date=camp.date + dt.timedelta(days=days)
        )
    prescriptions = []
    for _ in range(16):  # 16 x 5 = 80 units wanted
        visit = Visit.objects.create(
            patient=PatientFactory(), camp=camp, token_number=Visit.objects.count() + 1, status="consulted"
        )
        entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="completed")
        consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)
        prescriptions.append(Prescription.objects.create(consultation=consultation, medicine=medicine, quantity=5))
    newcomers = PatientFactory.create_batch(30)
    MedicalCamp.objects.filter(pk=camp.pk).update(last_token=Visit.objects.count())

    # The test's own key: the events its factories stored verify, so the servers' sealers seal them
    # (a server that meets rows signed with another key alarms, and its health says so).
    shared = {"SECRET_KEY": settings.SECRET_KEY, "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY}
    a = servers.start(servers.app_env(database_url(), tmp_path / "a", **shared), workers=2)
    b = servers.start(servers.app_env(database_url(), tmp_path / "b", **shared), workers=2)
    try:
        tokens = {a.url: token(a, "ph_load"), b.url: token(b, "ph_load")}
        pickups = hammer(
            [
                (
                    f"{(a, b)[i % 2].url}/api/v1/visits/{rx.consultation.visit_id}/dispense/",
                    (a, b)[i % 2].url,
                    {"items": [{"prescription": rx.pk, "quantity": 5}]},
                )
                for i, rx in enumerate(prescriptions)
            ],
            tokens,
        )
        vol_tokens = {a.url: token(a, "vol_load"), b.url: token(b, "vol_load")}
        registrations = hammer(
            [
                (f"{(a, b)[i % 2].url}/api/v1/patients/{p.pk}/visits/", (a, b)[i % 2].url, {"camp": camp.pk})
                for i, p in enumerate(newcomers)
            ],
            vol_tokens,
        )
    finally:
        a.stop()
        b.stop()

    statuses = Counter(r.status_code for r in pickups)
    assert statuses == {200: 10, 409: 6}, statuses  # 50 units serve exactly ten pickups of five
    assert {r.json()["code"] for r in pickups if r.status_code == 409} == {"insufficient_stock"}
    on_hand = StockBatch.objects.filter(medicine=medicine).aggregate(n=Sum("quantity_on_hand"))["n"]
    assert on_hand == 0 and not StockBatch.objects.filter(quantity_on_hand__lt=0).exists()
    taken = -StockMovement.objects.filter(kind="dispensed").aggregate(n=Sum("quantity"))["n"]
    assert taken == Dispense.objects.aggregate(n=Sum("quantity"))["n"] == 50
    served = [rx for rx in prescriptions if Prescription.objects.get(pk=rx.pk).status == "dispensed"]
    assert len(served) == 10
    for rx in served:  # every pickup has its history rows
        assert rx.history.filter(status="dispensed").count() == 1
        assert Visit.objects.get(pk=rx.consultation.visit_id).history.filter(status="dispensed").exists()

    assert Counter(r.status_code for r in registrations) == {201: 30}
    tokens_given = sorted(r.json()["token_number"] for r in registrations)
    assert tokens_given == list(range(17, 47))  # distinct and consecutive after the 16 visits

    events = read_events(tmp_path / "a", tmp_path / "b")
    names = Counter(e["event"] for e in events)
    assert names["visit.picked_up"] == 10 and names["prescription.dispensed"] == 10
    assert names["stock.deducted"] == StockMovement.objects.filter(kind="dispensed").count()
    assert names["visit.registered"] == 30
    assert sum(1 for e in events if e["event"] == "dispense.create" and e["reason"] == "insufficient_stock") == 6
    print(
        f"\ntwo servers: {len(pickups) + len(registrations)} requests, 6 refusals, "
        f"{StockMovement.objects.count()} ledger rows and {len(events)} events checked"
    )
