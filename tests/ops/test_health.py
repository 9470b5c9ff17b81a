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
