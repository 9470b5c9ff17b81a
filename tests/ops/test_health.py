"""GET health/ tells the truth: 503 naming each required part that is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import free_port

pytestmark = pytest.mark.django_db
HEALTH = "/api/v1/health/"


def test_healthy_answers_200_with_every_check(anon):
    response = anon.get(HEALTH)
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["failing"], body["database"]) == ("ok", [], "ok")
    assert body["checks"]["spool"]["writable"] and body["checks"]["spool"]["free_mb"] > 0
    assert {"queued", "spool_files"} <= set(body["audit"]["logbull"])  # the backlog


def test_redis_down_is_503_naming_redis(anon, settings):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = closed
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed}}
    response = anon.get(HEALTH)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"] and body["checks"]["redis"]["ok"] is False


def test_a_spool_that_takes_no_writes_is_503_naming_the_spool(anon, settings, tmp_path: Path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the spool directory should be")
    settings.LOGBULL_SPOOL_DIR = blocker / "spool"
    response = anon.get(HEALTH)
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["spool"] and body["checks"]["spool"]["writable"] is False


def test_a_full_spool_disk_is_503(anon, settings):
    settings.HEALTH_MIN_FREE_MB = 10**12  # more than any disk holds
    response = anon.get(HEALTH)
    assert response.status_code == 503 and response.json()["failing"] == ["spool"]


def test_without_redis_configured_it_is_not_checked(anon, settings):
    settings.REDIS_URL = ""
    assert "redis" not in anon.get(HEALTH).json()["checks"]


def test_cors_answers_only_the_configured_origins(anon, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    allowed = anon.options(HEALTH, HTTP_ORIGIN="https://app.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.org"
    other = anon.get(HEALTH, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other
    settings.CORS_ALLOWED_ORIGINS = []
    assert "Access-Control-Allow-Origin" not in anon.get(HEALTH, HTTP_ORIGIN="https://app.example.org")


# --- the audit check: sealing and shipping (audit.health) ------------------------------------
def _stored(ago: float = 0.0) -> None:
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from audit import event_types as E
    from audit import store
    from audit.events import build_event

    record = build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": 1}, source="command", actor=None)
    moment = datetime.now(UTC) - timedelta(seconds=ago)
    record["timestamp"] = moment.isoformat().replace("+00:00", "Z")
    with transaction.atomic():
        store.insert(record)


def _audit_failing(anon, words: str) -> None:
    response = anon.get(HEALTH)
    body = response.json()
    assert response.status_code == 503 and body["failing"] == ["audit"], body
    assert any(words in problem for problem in body["checks"]["audit"]["problems"]), body["checks"]["audit"]


def test_the_audit_check_is_ok_when_sealing_and_shipping_keep_up(anon, settings):
    from audit.chain import seal_pending

    settings.AUDIT_SHIP = True
    _stored()
    seal_pending()
    check = anon.get(HEALTH).json()["checks"]["audit"]
    assert check["ok"] and check["problems"] == [] and check["ship_lag_events"] >= 1


def test_an_event_waiting_too_long_to_be_sealed_fails_the_audit_check(anon, settings):
    from audit.chain import seal_pending

    settings.AUDIT_HEALTH_SEAL_SECONDS = 60
    _stored(ago=120)  # no sealer ran for two minutes
    _audit_failing(anon, "to be sealed")
    seal_pending()
    assert anon.get(HEALTH).status_code == 200


def test_a_sealer_stopped_by_a_chain_alarm_or_refusing_a_row_fails_the_audit_check(anon, monkeypatch):
    from audit.chain import ChainWatch
    from audit.sealer import SEALER

    monkeypatch.setattr(SEALER, "watch", ChainWatch(stopped="the chain ends at seq 2, before checkpoint seq 9"))
    _audit_failing(anon, "sealing stopped: the chain ends at seq 2")
    monkeypatch.setattr(SEALER, "watch", ChainWatch(alarmed={41}))
    _audit_failing(anon, "the sealer refused 1 stored events")


def test_logbull_behind_fails_the_audit_check(anon, settings, monkeypatch):
    from datetime import timedelta

    from audit import clock
    from audit.chain import seal_pending

    settings.AUDIT_SHIP, settings.AUDIT_HEALTH_SHIP_EVENTS = True, 2
    for _ in range(3):
        _stored()
    seal_pending()
    _audit_failing(anon, "LogBull is 3 events behind")
    settings.AUDIT_HEALTH_SHIP_EVENTS = 10_000
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(minutes=10))  # ten minutes later, not shipped
    _audit_failing(anon, "s behind")
    settings.AUDIT_SHIP = False  # not shipping from the store: no cursor to lag
    monkeypatch.setattr(clock, "now", real)
    assert anon.get(HEALTH).status_code == 200


def test_logbull_refusing_events_fails_the_audit_check_and_shows_in_metrics(anon, settings):
    from audit.ship_hold import Hold
    from tests.monitoring.scrape import value

    settings.AUDIT_SHIP = True
    hold = Hold(max_backoff=60.0)  # what LogBullShipper keeps after LogBull refused an event
    hold.settle([(7, "e7")], {"e7": "FUTURE_TIMESTAMP"})
    _audit_failing(anon, "LogBull refuses 1 events (FUTURE_TIMESTAMP); held from seq 7")
    text = anon.get("/metrics").content.decode()
    assert value(text, "medcamp_health_ok", check="audit") == 0
    assert value(text, "medcamp_audit_chain_alarms_total", kind="ship_refused") >= 1
    hold.settle([(7, "e7")], {})  # LogBull took it
    assert anon.get(HEALTH).status_code == 200
