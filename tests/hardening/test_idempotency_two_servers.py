"""One Idempotency-Key sent at once through two app servers on one PostgreSQL: one write."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import partial

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Sum

from consultations.models import Consultation, Prescription, QueueEntry
from core.models import IdempotentAnswer
from patients.models import Visit
from pharmacy.models import StockBatch
from tests import servers
from tests.conftest import require_postgres
from tests.factories import PASSWORD, CampFactory, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory
from tests.hardening.test_two_servers import database_url, read_events, token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 12


def at_once(requests_to_send: list[tuple[str, str, str, dict]]) -> list[requests.Response]:
    """(url, token, key, body) each from its own thread, released together."""
    return servers.at_once(
        [
            partial(
                requests.post,
                url,
                json=body,
                headers={"Authorization": f"Bearer {access}", "Idempotency-Key": key},
                timeout=60,
            )
            for url, access, key, body in requests_to_send
        ]
    )


def test_one_key_through_two_servers_at_once_is_one_pickup(tmp_path):
    require_postgres()
    pharmacist = UserFactory(username="ph_keys", roles=["pharmacist"])
    pharmacist.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    pharmacist.save(update_fields=["password"])
    doctor, camp, medicine = UserFactory(roles=["doctor"]), CampFactory(), MedicineFactory()
    StockBatchFactory(medicine=medicine, quantity_received=100, expiry_date=camp.date + dt.timedelta(days=90))
    prescriptions = []
    for token_number in range(1, ROUNDS + 1):
        visit = Visit.objects.create(patient=PatientFactory(), camp=camp, token_number=token_number, status="consulted")
        entry = QueueEntry.objects.create(visit=visit, doctor=doctor, status="completed")
        consultation = Consultation.objects.create(visit=visit, doctor=doctor, queue_entry=entry)
        prescriptions.append(Prescription.objects.create(consultation=consultation, medicine=medicine, quantity=3))

    # The test's own key: the events its factories stored verify, so the servers' sealers seal them
    # (a server that meets rows signed with another key alarms, and its health says so).
    shared = {"SECRET_KEY": settings.SECRET_KEY, "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY}
    a = servers.start(servers.app_env(database_url(), tmp_path / "a", **shared), workers=2)
    b = servers.start(servers.app_env(database_url(), tmp_path / "b", **shared), workers=2)
    try:
        access = token(a, "ph_keys")
        pairs = []
        for rx in prescriptions:
            url = f"/api/v1/visits/{rx.consultation.visit_id}/dispense/"
            body = {"items": [{"prescription": rx.pk, "quantity": 3}]}
            key = f"pickup-{rx.pk}"
            pairs.append(at_once([(a.url + url, access, key, body), (b.url + url, access, key, body)]))
    finally:
        a.stop()
        b.stop()

    outcomes: Counter[str] = Counter()
    for first, second in pairs:
        fresh = [r for r in (first, second) if r.status_code == 200 and "Idempotent-Replayed" not in r.headers]
        assert len(fresh) == 1, [(r.status_code, r.text[:200]) for r in (first, second)]
        other = second if fresh[0] is first else first
        if other.status_code == 409:
            assert other.json()["code"] == "idempotency_key_in_progress"
            outcomes["409 in progress"] += 1
        else:
            assert other.status_code == 200 and other.headers["Idempotent-Replayed"] == "true"
            assert other.json() == fresh[0].json()
            outcomes["replayed"] += 1
    on_hand = StockBatch.objects.filter(medicine=medicine).aggregate(n=Sum("quantity_on_hand"))["n"]
    assert on_hand == 100 - 3 * ROUNDS  # each pickup took its stock once
    assert IdempotentAnswer.objects.count() == ROUNDS
    events = Counter(e["event"] for e in read_events(tmp_path / "a", tmp_path / "b"))
    assert events["visit.picked_up"] == ROUNDS and events["request.replayed"] == outcomes["replayed"]
    print(f"\none key, two servers, {ROUNDS} rounds: {dict(outcomes)}")
