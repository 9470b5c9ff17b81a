"""A backup taken while a writer inserts patients restores into a database that migrates, holds
every committed patient and passes audit_verify."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests import servers

WRITER = """
import sys, time
from pathlib import Path
import django
django.setup()
from patients.services import patient_create
log, stop = Path(sys.argv[1]), Path(sys.argv[2])
n = 0
while not stop.exists():
    n += 1
    patient_create(by=None, book_no=f"BK-{n:05d}", name="Asha", age_years=30, sex="female", area="Kothur")
    with log.open("a") as out:  # written after the commit: every line is a committed patient
        out.write(f"BK-{n:05d}\\n")
"""

READ_BACK = """
import json, django
django.setup()
from patients.models import Patient
print(json.dumps(sorted(Patient.objects.values_list("book_no", flat=True))))
"""


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(servers.BIN / "python"), *args], cwd=servers.ROOT, env=env, capture_output=True, text=True, check=False
    )


def committed(log: Path) -> set[str]:
    return set(log.read_text().split()) if log.exists() else set()


def back_up_while_writing(env: dict[str, str], dest: Path, work: Path) -> tuple[set[str], set[str]]:
    """(patients committed before the backup began, patients committed by the time the writer stopped)."""
    log, stop = work / "written.txt", work / "stop"
    writer = subprocess.Popen(
        [str(servers.BIN / "python"), "-c", WRITER, str(log), str(stop)], cwd=servers.ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while len(committed(log)) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        before = committed(log)
        assert len(before) >= 20, "the writer did not get going"
        done = run(env, "manage.py", "backup", str(dest))
        assert done.returncode == 0, done.stderr
        assert "backup written" in done.stdout
        assert stat.S_IMODE(dest.stat().st_mode) == 0o600  # it holds every patient: its owner's only
    finally:
        stop.touch()
        writer.wait(30)
    return before, committed(log)


def check_restored(env: dict[str, str], before: set[str], after: set[str]) -> None:
    migrated = run(env, "manage.py", "migrate", "--check")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    restored = set(json.loads(run(env, "-c", READ_BACK).stdout))
    assert before <= restored <= after  # every patient committed before it, nothing half-written
    assert run(env, "manage.py", "audit_seal").returncode == 0
    verified = run(env, "manage.py", "audit_verify")
    assert verified.returncode == 0 and "audit trail intact" in verified.stdout, verified.stderr


def test_a_sqlite_backup_taken_while_writing_restores(tmp_path: Path):
    source = tmp_path / "camp.sqlite3"
    env = servers.app_env(f"sqlite:///{source}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
    env["PYTHONPATH"] = str(servers.ROOT)
    assert run(env, "manage.py", "migrate", "--noinput").returncode == 0
    dest = tmp_path / "backups" / "camp-backup.sqlite3"
    before, after = back_up_while_writing(env, dest, tmp_path)
    restored = tmp_path / "restored.sqlite3"
    shutil.copy(dest, restored)
    check_restored({**env, "DATABASE_URL": f"sqlite:///{restored}"}, before, after)


@pytest.mark.postgres
def test_a_postgresql_backup_taken_while_writing_restores(tmp_path: Path):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore are needed (Debian: postgresql-client)")
    server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    admin_url = f"postgresql://{server.netloc}/postgres"
    names = [f"medcamp_backup_{kind}_{secrets.token_hex(3)}" for kind in ("src", "dst")]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = servers.app_env(f"postgres://{server.netloc}/{names[0]}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
        env["PYTHONPATH"] = str(servers.ROOT)
        assert run(env, "manage.py", "migrate", "--noinput").returncode == 0
        dest = tmp_path / "camp.dump"
        before, after = back_up_while_writing(env, dest, tmp_path)
        restore = subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", f"postgresql://{server.netloc}/{names[1]}", str(dest)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert restore.returncode == 0, restore.stderr
        check_restored({**env, "DATABASE_URL": f"postgres://{server.netloc}/{names[1]}"}, before, after)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_refuses_cleanly_without_pg_dump(tmp_path: Path, monkeypatch):
    from django.core.management import CommandError, call_command

    from core.management.commands import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    monkeypatch.setattr(backup.connection, "vendor", "postgresql")
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup", str(tmp_path / "x.dump"))
    assert not (tmp_path / "x.dump").exists()
