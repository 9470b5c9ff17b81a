"""A write that waits on the database too long answers 503 `database_busy` and leaves nothing behind.

PostgreSQL: a table held under ACCESS EXCLUSIVE by another session; the app's lock_timeout runs
out (core/db_limits.py), every blocked write answers 503 in the error shape with Retry-After
(an admin save a readable 503 page), and once the lock is released the database holds none of
them. SQLite: a write lock held by another connection; the busy timeout runs out alike. And the
per-request budget: a statement started after it is refused and the write rolls back.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from audit.models import AuditEvent
from core import db_limits
from patients.models import Patient
from tests import servers
from tests.conftest import require_postgres
from tests.factories import PASSWORD, UserFactory

BUSY = {"detail": "The database is busy; try again shortly.", "code": "database_busy"}
LOCK_SECONDS = "2"  # the servers' lock timeout: short, so nine blocked writes on two workers take seconds


def patient(book_no: str) -> dict[str, object]:
    return {"book_no": book_no, "name": "Asha", "age_years": 30, "sex": "female", "area": "Kothur"}


def assert_busy(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == BUSY
    assert int(response.headers["Retry-After"]) > 0


def assert_busy_page(response: requests.Response) -> None:
    assert response.status_code == 503, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/html")
    assert BUSY["detail"] in response.text
    assert int(response.headers["Retry-After"]) > 0


def sign_in(server: servers.Server, username: str) -> str:
    response = requests.post(
        f"{server.url}/api/v1/auth/login/", json={"username": username, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access"])


def admin_add_form(server: servers.Server, username: str) -> tuple[requests.Session, dict[str, str]]:
    """A signed-in admin session and the hidden fields of the patient add form (CSRF, inline management)."""
    session = requests.Session()
    session.get(f"{server.url}/admin/login/", timeout=30)
    signed_in = session.post(
        f"{server.url}/admin/login/?next=/admin/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text[:300]
    page = session.get(f"{server.url}/admin/patients/patient/add/", timeout=30)
    assert page.status_code == 200
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert "csrfmiddlewaretoken" in hidden
    return session, hidden


def blocked_writes(server: servers.Server, token: str, admin: tuple[requests.Session, dict[str, str]], tag: str):
    """Eight API registrations (one with an Idempotency-Key) and one admin save, as calls to make at once."""
    headers = {"Authorization": f"Bearer {token}"}
    post = partial(requests.post, f"{server.url}/api/v1/patients/", timeout=60)
    calls: list[Callable[[], requests.Response]] = [
        partial(post, json=patient(f"{tag}-{i}"), headers=headers) for i in range(7)
    ]
    calls.append(partial(post, json=patient(f"{tag}-keyed"), headers={**headers, "Idempotency-Key": f"{tag}-key"}))
    session, hidden = admin
    form = {**hidden, **patient(f"{tag}-admin"), "phone": "", "address": "", "preferred_language": ""}
    calls.append(
        partial(session.post, f"{server.url}/admin/patients/patient/add/", data=form, allow_redirects=False, timeout=60)
    )
    return calls


def failed_events(work: Path) -> list[dict]:
    lines = [json.loads(line) for line in (work / "audit.jsonl").read_text().splitlines()]
    return [e for e in lines if e["event"] == "request.failed"]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def psycopg_url() -> str:
    return database_url().replace("postgres://", "postgresql://", 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_writes_blocked_by_a_held_lock_answer_503_and_none_commits(tmp_path: Path):
    require_postgres()
    for username, role in (("vol_lock", "volunteer"), ("admin_lock", "admin")):
        user = UserFactory(username=username, roles=[role])
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")  # what the servers verify quickly
        user.save(update_fields=["password"])
    shared = {"SECRET_KEY": settings.SECRET_KEY, "AUDIT_CHAIN_KEY": settings.AUDIT_CHAIN_KEY}
    env = servers.app_env(database_url(), tmp_path, DB_LOCK_TIMEOUT_SECONDS=LOCK_SECONDS, **shared)
    server = servers.start(env, workers=2)  # two sync workers, as docs/deployment.md runs them
    created_before = AuditEvent.objects.filter(event="patient.created").count()
    try:
        token = sign_in(server, "vol_lock")
        calls = blocked_writes(server, token, admin_add_form(server, "admin_lock"), "LOCK")
        s = connection.settings_dict
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
        ) as held:
            held.execute("LOCK TABLE patients_patient IN ACCESS EXCLUSIVE MODE")
            answers = servers.at_once(calls)
            held.rollback()  # the lock ends with its transaction
        for response in answers[:-1]:
            assert_busy(response)
        assert_busy_page(answers[-1])
        # The database agrees with the answers: none of the nine is there, nor its success event.
        assert not Patient.objects.filter(book_no__startswith="LOCK-").exists()
        assert AuditEvent.objects.filter(event="patient.created").count() == created_before
        # Nothing was left half-done: the same keyed request now runs (no stored 503 is replayed).
        again = requests.post(
            f"{server.url}/api/v1/patients/",
            json=patient("LOCK-keyed"),
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "LOCK-key"},
            timeout=60,
        )
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers, again.text[:300]
    finally:
        server.stop()
    failed = failed_events(tmp_path)
    assert [e["reason"] for e in failed] == ["database_busy"] * 9
    assert all(e["outcome"] == "failure" and e["level"] == "ERROR" for e in failed)
    assert Patient.objects.filter(book_no__startswith="LOCK-").count() == 1


def test_a_write_held_by_a_sqlite_write_lock_answers_503_and_none_commits(tmp_path: Path):
    """gunicorn on SQLite (as `make camp`); another connection holds the write lock past the busy timeout."""
    data = tmp_path / "camp.sqlite3"
    env = servers.app_env(f"sqlite:///{data}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
    servers.manage(env, "migrate", "--noinput")
    users = "; ".join(
        f"user_create(by=None, username={name!r}, password={PASSWORD!r}, roles=[{role!r}])"
        for name, role in (("vol_lock", "volunteer"), ("admin_lock", "admin"))
    )
    servers.manage(env, "shell", "-c", f"from accounts.services import user_create; {users}")
    env["DB_LOCK_TIMEOUT_SECONDS"] = LOCK_SECONDS
    server = servers.start(env, 1, "127.0.0.1", "--threads", "8")
    try:
        token = sign_in(server, "vol_lock")
        calls = blocked_writes(server, token, admin_add_form(server, "admin_lock"), "SQL")
        held = sqlite3.connect(data, isolation_level=None)
        held.execute("BEGIN IMMEDIATE")  # the write lock, as a long write of another process holds it
        try:
            answers = servers.at_once(calls)
        finally:
            held.execute("ROLLBACK")
            held.close()
    finally:
        server.stop()
    for response in answers[:-1]:
        assert_busy(response)
    assert_busy_page(answers[-1])
    with sqlite3.connect(data) as db:
        assert db.execute("SELECT count(*) FROM patients_patient WHERE book_no LIKE 'SQL-%'").fetchone() == (0,)
        created = db.execute("SELECT count(*) FROM audit_auditevent WHERE event = 'patient.created'").fetchone()
    assert created == (0,)
    assert [e["reason"] for e in failed_events(tmp_path)] == ["database_busy"] * 9


@pytest.mark.django_db
def test_a_statement_past_the_request_budget_is_refused_and_the_write_rolls_back(
    client_for, volunteer, audit, settings
):
    """The patient's INSERT runs; then the budget is spent: the next statement is refused, all rolls back."""
    settings.DB_REQUEST_SECONDS = 60

    def spend_the_budget_after_the_insert(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "patients_patient"'):
            db_limits._request.deadline = 0.0  # as if the request had run for its whole budget
        return result

    with connection.execute_wrapper(spend_the_budget_after_the_insert):
        response = client_for(volunteer).post("/api/v1/patients/", patient("BUDGET-1"), format="json")
    assert response.status_code == 503
    assert response.json() == BUSY and int(response["Retry-After"]) > 0
    assert not Patient.objects.filter(book_no="BUDGET-1").exists()
    event = audit.one("request.failed")
    assert (event["reason"], event["actor"]) == ("database_busy", None)
    assert not audit.named("patient.created")


def _command_statement_timeout(env: dict[str, str]) -> str:
    show = "from django.db import connection; c = connection.cursor(); c.execute('SHOW statement_timeout'); "
    out = subprocess.run(
        [str(servers.BIN / "python"), "manage.py", "shell", "-c", show + "print(c.fetchone()[0])"],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_management_command_has_no_statement_timeout_unless_the_environment_names_one(tmp_path: Path):
    require_postgres()
    env = servers.app_env(database_url(), tmp_path)
    env.pop("DB_STATEMENT_TIMEOUT_SECONDS", None)
    assert _command_statement_timeout(env) == "0"  # a long migration or audit_verify runs to its end
    assert _command_statement_timeout({**env, "DB_STATEMENT_TIMEOUT_SECONDS": "7"}) == "7s"
