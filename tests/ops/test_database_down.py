"""An unreachable database: every API path answers 503 in the error shape, and the sinks still hear of it."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.db import OperationalError, connection

from audit.models import AuditEvent
from tests import servers
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@contextmanager
def database_down() -> Iterator[None]:
    """Every query fails as it does when the server refuses the connection."""

    def refuse(*args: object) -> None:
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:200]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body == {"detail": "The database cannot be reached; try again shortly.", "code": "database_unavailable"}
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/auth/login/", {"username": "dr_rao", "password": PASSWORD}),
        ("get", "/api/v1/patients/", None),
        ("get", "/api/v1/patients/1/", None),
        ("post", "/api/v1/patients/", {"book_no": "X-1", "name": "Asha", "age_years": 30, "sex": "female"}),
        ("get", "/api/v1/queue/", None),
    ],
)
def test_every_api_path_answers_503_in_the_error_shape(client_for, doctor, audit, method, path, body):
    api = client_for(doctor)
    stored = AuditEvent.objects.count()
    with database_down():
        response = getattr(api, method)(path, body, format="json") if body else getattr(api, method)(path)
    assert_unavailable(response)
    event = audit.one("request.failed")
    assert (event["outcome"], event["reason"], event["actor"]) == ("failure", "database_unavailable", None)
    assert AuditEvent.objects.count() == stored  # nothing half-written


def test_a_real_server_whose_database_vanished_answers_503(tmp_path: Path):
    """gunicorn on SQLite; the database's directory goes away (a disk unmounted) and comes back."""
    data = tmp_path / "data"
    data.mkdir()
    env = servers.app_env(f"sqlite:///{data / 'camp.sqlite3'}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env)
    try:
        shutil.move(data, tmp_path / "away")
        for path in ("/api/v1/patients/", "/api/v1/auth/login/"):
            response = requests.post(server.url + path, json={"username": "x", "password": "y"}, timeout=30)
            assert response.status_code == 503, response.text[:200]
            assert response.json()["code"] == "database_unavailable"
        shutil.move(tmp_path / "away", data)
        back = requests.post(server.url + "/api/v1/auth/login/", json={"username": "x", "password": "y"}, timeout=30)
        assert (back.status_code, back.json()["code"]) == (401, "invalid_credentials")
    finally:
        server.stop()
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["reason"] for e in lines if e["event"] == "request.failed"] == ["database_unavailable"] * 2
