"""The app serves as a least-privilege PostgreSQL role that cannot change the audit trail."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from tests import servers

pytestmark = pytest.mark.postgres


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(servers.BIN / "python"), "manage.py", *args], cwd=servers.ROOT, env=env, capture_output=True, text=True
    )


def test_the_app_role_serves_and_cannot_touch_the_audit_tables(tmp_path: Path):
    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    host = f"{server.hostname}:{server.port or 5432}"
    tag = secrets.token_hex(3)
    owner, app, database = f"medcamp_owner_{tag}", f"medcamp_app_{tag}", f"medcamp_roles_{tag}"
    superuser = f"postgresql://{server.netloc}/postgres"
    secret = secrets.token_urlsafe(40)
    owner_env = servers.app_env(f"postgres://{owner}@{host}/{database}", tmp_path, SECRET_KEY=secret)
    app_env = servers.app_env(f"postgres://{app}@{host}/{database}", tmp_path, SECRET_KEY=secret)
    app_env["AUDIT_SEAL_INTERVAL"] = "0.2"
    printed = manage(owner_env, "audit_db_roles", "--owner", owner, "--app", app, "--stage", "roles")
    with psycopg.connect(superuser, autocommit=True) as root:
        for statement in printed.stdout.split(";"):
            if statement.strip():
                root.execute(statement)
    running = None
    try:
        assert manage(owner_env, "migrate", "--noinput").returncode == 0
        granted = manage(owner_env, "audit_db_roles", "--owner", owner, "--app", app, "--apply")
        assert granted.returncode == 0, granted.stderr
        password = secrets.token_urlsafe(12)
        create = "from accounts.services import user_create; "
        create += f"user_create(by=None, username='vol', password={password!r}, roles=['volunteer'])"
        assert manage(app_env, "shell", "-c", create).returncode == 0
        running = servers.start(app_env)
        login = requests.post(
            running.url + "/api/v1/auth/login/", json={"username": "vol", "password": password}, timeout=30
        )
        assert login.status_code == 200, login.text
        token = login.json()["access"]
        person = {"book_no": "ROLE-1", "name": "Asha", "age_years": 40, "sex": "female", "area": "Kothur"}
        made = requests.post(
            running.url + "/api/v1/patients/", json=person, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert made.status_code == 201, made.text
        sealed = manage(app_env, "audit_seal")
        assert sealed.returncode == 0, sealed.stderr
        verified = manage(app_env, "audit_verify")
        assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stderr
        with psycopg.connect(f"postgresql://{app}@{host}/{database}", autocommit=True) as as_app:
            for attack in (
                "UPDATE audit_auditevent SET actor_username = 'dr_rao'",
                "DELETE FROM audit_auditseal",
                "TRUNCATE audit_auditevent",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
                "DROP TRIGGER audit_auditevent_no_update ON audit_auditevent",
                "UPDATE patients_historicalpatient SET name = 'Forged'",  # history: the store's treatment
                "DELETE FROM patients_historicalpatient",
                "TRUNCATE patients_historicalvisit",
                "DELETE FROM audit_shipcursor",
                "INSERT INTO audit_shipcursor (sink, seq) VALUES ('logbull', 999999)",  # past the head
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    as_app.execute(attack)
            copy = "INSERT INTO audit_auditevent (event_id, timestamp, event, action, outcome, reason, source, "
            copy += "actor_username, request_id, target_type, target_id, data, mac) SELECT event_id, timestamp, "
            copy += "event, action, outcome, reason, source, actor_username, request_id, target_type, target_id, "
            copy += "data, mac FROM audit_auditevent ORDER BY id LIMIT 1"
            with pytest.raises(psycopg.errors.UniqueViolation):
                as_app.execute(copy)  # a replayed row
            junk = "INSERT INTO audit_auditseal (seq, event_pk, event_id, prev_hash, hash, sealed_at) "
            junk += "SELECT seq + 1, event_pk, event_id, repeat('0', 64), hash, now() FROM audit_auditseal "
            junk += "ORDER BY seq DESC LIMIT 1"
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation):
                as_app.execute(junk)  # a seal that does not extend the chain
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                as_app.execute("CREATE TEMP TABLE audit_auditseal (seq bigint)")  # no stand-in for the seals
        # The systemd unit runs `migrate` as the app role before each start: with every guard in
        # place it has nothing to make, so it needs no owner's rights.
        migrated = manage(app_env, "migrate", "--noinput")
        assert migrated.returncode == 0, migrated.stderr
    finally:
        if running is not None:
            running.stop()
        with psycopg.connect(superuser, autocommit=True) as root:
            root.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in (app, owner):
                root.execute(f'DROP ROLE IF EXISTS "{role}"')
