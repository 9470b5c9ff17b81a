"""Restoring an older backup over a newer database, by the steps of docs/deployment.md ("Restore"):
sealing and file shipping resume after a restart, audit_verify passes while naming the restore,
and audit_rolled_back lists the events only the JSONL file still holds.

Each step runs as its own process, as an operator's commands and a restarted server would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests import servers
from tests.fake_logbull import PROJECT_ID, FakeLogBull

STEP = """
import json, sys
from datetime import timedelta
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.db import transaction
from audit import event_types as E, store
from audit.chain import ChainWatch, seal_pending
from audit.events import build_event
from audit.models import AuditSeal
from audit.shipper import FileShipper
from patients.services import patient_create

def events(n):
    made = []
    for i in range(n):  # a change (its events reach the file on commit) ...
        patient_create(by=None, book_no=f"BK-{sys.argv[2]}-{i}", name="Asha", age_years=30, sex="female", area="Kothur")
        # ... and an event whose process died before the file heard of it: only shipping brings it there
        record = build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": i}, source="command", actor=None)
        with transaction.atomic():
            store.insert(record)
        made.append(record["event_id"])
    return made

def ship():
    return FileShipper(Path(settings.AUDIT_LOG_FILE), settle=timedelta(0)).ship()

out = {}
if sys.argv[1] == "events":
    out["stored_only"] = events(3)
elif sys.argv[1] == "ship":
    out["shipped"] = ship()
elif sys.argv[1] == "restart":  # what a server does at its start, then one background pass
    watch = ChainWatch.from_file()
    out["trusted"] = watch.checkpoint
    out["stored_only"] = events(2)
    done = seal_pending(watch=watch)
    out["sealed"], out["refused"] = done.count, done.refused
    out["shipped"] = ship()
head = AuditSeal.objects.order_by("-seq").first()
out["head"] = [head.seq, head.hash] if head else None
print(json.dumps(out))
"""


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(servers.BIN / "python"), *args], cwd=servers.ROOT, env=env, capture_output=True, text=True, check=False
    )


def step(env: dict[str, str], *args: str) -> dict:
    done = run(env, "-c", STEP, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(env, "manage.py", *args)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def restore_over_newer(env: dict[str, str], work: Path, backup: Path, put_back: Callable[[Path], None]) -> None:
    """Seal, back up, seal more, restore the older backup by the documented steps, restart: all of it."""
    log = Path(env["AUDIT_LOG_FILE"])
    ok(manage(env, "migrate", "--noinput"))
    step(env, "events", "a")
    ok(manage(env, "audit_seal"))
    backed_up = step(env, "ship")["head"]
    ok(manage(env, "backup", str(backup)))  # the hourly backup
    newer = step(env, "events", "b")  # after the backup: lost with the newer database
    ok(manage(env, "audit_seal"))
    newer_head = step(env, "ship")["head"]
    cursor = json.loads(log.with_name(log.name + ".shipped").read_text())
    assert cursor["seq"] == newer_head[0]

    # The documented restore: keep the newer database, put the backup in its place, migrate, re-seal.
    ok(manage(env, "backup", str(work / "before-restore.copy")))
    put_back(backup)
    ok(manage(env, "migrate", "--noinput"))
    refused = manage(env, "audit_seal")  # without declaring the restore, sealing refuses the shorter chain
    assert refused.returncode != 0 and f"before checkpoint seq {newer_head[0]}" in refused.stderr
    resealed = ok(manage(env, "audit_seal", "--restored")).split()
    resealed_head = [int(resealed[resealed.index("seq") + 1]), resealed[resealed.index("hash") + 1]]

    # A restart: the server trusts the restored head (the last checkpoint written, not the highest).
    after = step(env, "restart", "c")
    assert after["trusted"] == resealed_head and resealed_head[0] < newer_head[0]
    assert after["refused"] == "" and after["sealed"] >= 2
    assert after["shipped"] == 2  # the events only the store held reach the file: shipping resumed
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {e["event_id"] for e in lines} >= set(after["stored_only"])
    cursor = json.loads(log.with_name(log.name + ".shipped").read_text())
    assert [cursor["seq"], cursor["hash"]] == after["head"]

    verified = manage(env, "audit_verify")  # exit 1: intact since the restore, which lost sealed events
    out = verified.stderr
    assert verified.returncode == 1 and out.startswith("audit trail intact since a restore:"), out
    assert f"checkpoints read: {log} (" in out
    lost = newer_head[0] - backed_up[0]
    assert f"restore at seq {backed_up[0]} (" in out
    assert f"rolled back 1 checkpoints up to seq {newer_head[0]} ({lost} sealed events)" in out

    listed = ok(manage(env, "audit_rolled_back"))
    assert all(event_id in listed for event_id in newer["stored_only"])  # lost with the newer database
    assert "patient.created" in listed or "patient.create" in listed
    assert not any(event_id in listed for event_id in after["stored_only"])  # in the store: not lost
    served_after_restore(env, after)


def served_after_restore(env: dict[str, str], after: dict) -> None:
    """A real server started after the restore seals on and ships the whole restored chain to LogBull."""
    logbull = FakeLogBull().start()
    served = {**env, "LOGBULL_HOST": logbull.url, "LOGBULL_PROJECT_ID": PROJECT_ID, "AUDIT_SEAL_INTERVAL": "0.2"}
    server = servers.start(served)
    try:
        refused = requests.post(server.url + "/api/v1/auth/login/", json={"username": "x", "password": "y"}, timeout=30)
        assert refused.status_code == 401  # a new event, served after the restore
        deadline, head = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            head = step(env, "head")["head"]
            if head[0] > after["head"][0] and len(set(logbull.event_ids())) >= head[0]:
                break
            time.sleep(0.2)
        assert head is not None and head[0] > after["head"][0], "the restarted server did not seal"
        assert set(after["stored_only"]) <= set(logbull.event_ids()), "LogBull missed events sealed after the restore"
        health = requests.get(server.url + "/api/v1/health/", timeout=30).json()
        assert health["status"] == "ok" and health["checks"]["audit"]["ok"], health
    finally:
        server.stop()
        logbull.stop()
    after_serving = manage(env, "audit_verify")
    assert after_serving.returncode == 1 and after_serving.stderr.startswith("audit trail intact since a restore:")


def test_a_sqlite_restore_over_a_newer_database_resumes_sealing_and_shipping(tmp_path: Path):
    db = tmp_path / "db.sqlite3"
    env = servers.app_env(f"sqlite:///{db}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
    env["PYTHONPATH"] = str(servers.ROOT)

    def put_back(backup: Path) -> None:  # docs/deployment.md: remove the database and its WAL, copy the backup
        for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"):
            (tmp_path / name).unlink(missing_ok=True)
        shutil.copy(backup, db)

    restore_over_newer(env, tmp_path, tmp_path / "backups" / "camp.sqlite3", put_back)


@pytest.mark.postgres
def test_a_postgresql_restore_over_a_newer_database_resumes_sealing_and_shipping(tmp_path: Path):
    """With the least-privilege roles of docs/deployment.md: the app servers connect as the app role."""
    for tool in ("pg_dump", "pg_restore", "dropdb", "createdb", "psql"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed (Debian: postgresql-client)")
    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    tag = secrets.token_hex(3)
    name, owner, app = f"medcamp_restore_{tag}", f"medcamp_owner_{tag}", f"medcamp_app_{tag}"
    user, host, port = server.username or "postgres", server.hostname or "127.0.0.1", str(server.port or 5432)
    where = ["--host", host, "--port", port, "--username", user]
    secret = secrets.token_urlsafe(40)
    owner_env = servers.app_env(f"postgres://{owner}@{host}:{port}/{name}", tmp_path, SECRET_KEY=secret)
    env = servers.app_env(f"postgres://{app}@{host}:{port}/{name}", tmp_path, SECRET_KEY=secret)
    env["PYTHONPATH"] = owner_env["PYTHONPATH"] = str(servers.ROOT)
    grants = ("audit_db_roles", "--owner", owner, "--app", app, "--apply")
    subprocess.run(["psql", *where, "-c", f"CREATE ROLE {owner} LOGIN", "-c", f"CREATE ROLE {app} LOGIN", "postgres"])
    subprocess.run(["createdb", *where, "--owner", owner, name], check=True)

    def put_back(backup: Path) -> None:  # docs/deployment.md, step 2: as a superuser, then the grants as the owner
        subprocess.run(["dropdb", *where, "--force", name], check=True)
        subprocess.run(["createdb", *where, "--owner", owner, name], check=True)
        subprocess.run(["pg_restore", *where, "--no-owner", "--role", owner, "--dbname", name, str(backup)], check=True)
        ok(manage(owner_env, *grants))

    try:
        ok(manage(owner_env, "migrate", "--noinput"))
        ok(manage(owner_env, *grants))
        restore_over_newer(env, tmp_path, tmp_path / "backups" / "camp.dump", put_back)
    finally:
        subprocess.run(["dropdb", *where, "--force", "--if-exists", name], check=False)
        subprocess.run(
            ["psql", *where, "-c", f"DROP ROLE IF EXISTS {app}", "-c", f"DROP ROLE IF EXISTS {owner}", "postgres"]
        )
