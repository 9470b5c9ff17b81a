"""/metrics: who may read it, what requests and the audit pipeline count, the database figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from audit import event_types as E
from audit.chain import seal_pending
from audit.events import emit
from consultations.models import QueueEntry
from tests.factories import CampFactory, MedicineFactory, QueueEntryFactory, UserFactory, VisitFactory
from tests.monitoring.scrape import samples, value

pytestmark = pytest.mark.django_db


def scrape(client: Client | None = None, **extra: str) -> str:
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")  # Prometheus's text format
    return response.content.decode()


@pytest.fixture(autouse=True)
def fresh_figures():
    cache.delete("medcamp:metrics:db")


def test_loopback_reads_the_metrics_and_nothing_else_does():
    assert "medcamp_http_request_duration_seconds" in scrape()
    elsewhere = Client(REMOTE_ADDR="10.1.2.3").get("/metrics")
    assert elsewhere.status_code == 403 and b"medcamp_" not in elsewhere.content
    proxied = Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")  # a proxy on this host
    assert proxied.status_code == 403 and b"medcamp_" not in proxied.content
    assert Client().post("/metrics").status_code == 405


@override_settings(METRICS_TOKEN="scrape-token-for-tests")
def test_a_token_opens_the_metrics_to_a_scraper():
    remote = Client(REMOTE_ADDR="10.1.2.3")
    asked = remote.get("/metrics")
    assert asked.status_code == 401 and asked["WWW-Authenticate"].startswith("Bearer")
    for wrong in ("Bearer nope", "Basic c2NyYXBlOnRva2Vu", "Bearer"):
        refused = remote.get("/metrics", HTTP_AUTHORIZATION=wrong)
        assert refused.status_code == 403 and b"medcamp_" not in refused.content
    assert "medcamp_" in scrape(remote, HTTP_AUTHORIZATION="Bearer scrape-token-for-tests")


def test_requests_are_counted_by_route_template_method_and_status_class(client_for):
    api = client_for(UserFactory(roles=["volunteer"]))
    route = "api/v1/patients/{pk}/"
    before = value(scrape(), "medcamp_http_request_duration_seconds_count", route=route, status="4xx")
    for junk in (999991, 999992, 999993):
        assert api.get(f"/api/v1/patients/{junk}/").status_code == 404
    text = scrape()
    assert value(text, "medcamp_http_request_duration_seconds_count", route=route, status="4xx") == before + 3
    assert value(text, "medcamp_http_request_queries_count") >= 3
    assert Client().get("/no/such/page/999991/").status_code == 404
    text = scrape()
    assert value(text, "medcamp_http_request_duration_seconds_count", route="unmatched") >= 1
    labels = [v for _, found, _ in samples(text) for v in found.values()]
    assert not [v for v in labels if "999991" in v or "no/such" in v]  # never a raw path or an id


def test_the_audit_pipeline_is_counted(client):
    text = scrape()
    failures = value(text, "medcamp_auth_failures_total", door="api")
    events = value(text, "medcamp_audit_events_total", family="auth", outcome="failure")
    client.post("/api/v1/auth/login/", {"username": "nobody", "password": "wrong"}, content_type="application/json")
    Client().post("/admin/login/", {"username": "nobody", "password": "wrong"})
    text = scrape()
    assert value(text, "medcamp_auth_failures_total", door="api") == failures + 1
    assert value(text, "medcamp_auth_failures_total", door="admin") >= 1
    assert value(text, "medcamp_audit_events_total", family="auth", outcome="failure") >= events + 2
    assert value(text, "medcamp_audit_sink_written_total", sink="store") > 0


def test_unsealed_events_and_seal_lag_come_from_the_store():
    for _ in range(3):
        emit(E.AUDIT_EXPORTED, details={"count": 0})
    text = scrape()
    assert value(text, "medcamp_audit_unsealed_events") >= 3
    seal_pending()
    cache.delete("medcamp:metrics:db")
    text = scrape()
    assert value(text, "medcamp_audit_unsealed_events") == 0 and value(text, "medcamp_audit_seal_lag_seconds") == 0


def test_the_database_figures_are_cached_between_scrapes():
    first = value(scrape(), "medcamp_camp_active")
    CampFactory(status="active")
    assert value(scrape(), "medcamp_camp_active") == first == 0  # within METRICS_DB_SECONDS
    cache.delete("medcamp:metrics:db")
    assert value(scrape(), "medcamp_camp_active") == 1


def test_the_active_camp_as_gauges():
    camp = CampFactory(status="active")
    VisitFactory(camp=camp)
    waiting = QueueEntryFactory(visit__camp=camp)
    QueueEntry.objects.filter(pk=waiting.pk).update(queued_at=timezone.now() - dt.timedelta(minutes=12))
    MedicineFactory(reorder_level=50)  # no stock: below its reorder level
    text = scrape()
    assert value(text, "medcamp_camp_patients", stage="registered") == 1
    assert value(text, "medcamp_camp_patients", stage="queued") == 1
    assert 12 * 60 <= value(text, "medcamp_camp_longest_wait_seconds") < 13 * 60
    assert value(text, "medcamp_medicines_below_reorder") >= 1


def test_with_the_database_down_the_scrape_says_so(monkeypatch):
    from audit import views as health

    monkeypatch.setattr(health, "database", lambda: {"ok": False, "error": "OperationalError"})
    text = scrape()
    assert value(text, "medcamp_health_ok", check="database") == 0
    assert "medcamp_audit_unsealed_events" not in text  # nothing made up while the database is away
