"""An auditor meets a row an insider edited in the database: the list marks it, the detail shows what was sealed.

The camp runs on its own gunicorn and SQLite file, so the insider's edit (triggers
dropped, a column rewritten) touches nothing but this test's database. Screenshots at
1280 px and on a 390 px phone are kept in test-artifacts/.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests import servers
from tests.browser.conftest import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser

MAKE = """
from patients import services
from accounts.services import user_create
from tests.factories import PatientFactory
admin = user_create(by=None, username="site_admin", password="{password}x", roles=["admin"])
patient = PatientFactory(book_no="TAMP-1", name="Lakshmi", area="Kothur")
services.patient_update(by=admin, patient_id=patient.pk, area="Ward B")
"""


def test_an_edited_row_is_marked_in_the_list_and_its_detail_shows_the_sealed_event(browser, tmp_path: Path):
    database = tmp_path / "camp.sqlite3"
    env, password = servers.migrated_with_user(f"sqlite:///{database}", tmp_path, "aud_screen", "auditor")
    env["MEDCAMP_TESTING"] = "1"  # admin's CSS served from the apps (no collectstatic for a test server)
    servers.manage(env, "shell", "-c", MAKE.format(password=password))
    servers.manage(env, "audit_seal")
    with sqlite3.connect(database) as insider:  # psql's equivalent on the camp laptop
        insider.execute("DROP TRIGGER audit_auditevent_no_update")
        (victim,) = insider.execute(
            "SELECT id FROM audit_auditevent WHERE event = 'patient.updated' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        insider.execute("UPDATE audit_auditevent SET actor_username = 'dr_rao' WHERE id = ?", [victim])
    servers.manage(env, "migrate")  # the trigger back, as the insider covers the tracks (or the next migrate)
    server = servers.start(env)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for width, name in ((1280, "desktop"), (390, "phone")):
            context, page = signed_in(browser, server, "aud_screen", password, width)
            page.goto(f"{server.url}/admin/audit/auditevent/")
            marked = page.locator("#result_list tbody tr", has_text="row edited")
            assert marked.count() == 1 and "dr_rao" in marked.inner_text()
            page.screenshot(path=str(ARTIFACTS / f"tampered-row-list-{name}.png"), full_page=True)
            page.goto(f"{server.url}/admin/audit/auditevent/{victim}/change/")
            text = page.inner_text("#content")
            assert "1 column of this row disagrees with its sealed event" in text
            assert "site_admin" in text and "the row's column says dr_rao" in text
            page.screenshot(path=str(ARTIFACTS / f"tampered-row-detail-{name}.png"), full_page=True)
            context.close()
    finally:
        server.stop()
    verified = audit_verify(env)
    assert verified.returncode == 2 and "column actor_username is 'dr_rao'" in verified.stderr


def audit_verify(env: dict[str, str]) -> servers.subprocess.CompletedProcess[str]:
    return servers.subprocess.run(
        [str(servers.BIN / "python"), "manage.py", "audit_verify"],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_a_replayed_row_reads_as_a_replay_on_its_detail_page_as_verify_says(browser, tmp_path: Path):
    database = tmp_path / "camp.sqlite3"
    env, password = servers.migrated_with_user(f"sqlite:///{database}", tmp_path, "aud_replay", "auditor")
    env["MEDCAMP_TESTING"] = "1"
    servers.manage(env, "shell", "-c", MAKE.format(password=password))
    servers.manage(env, "audit_seal")
    columns = "event_id, timestamp, event, action, outcome, reason, source, actor_id, actor_username, request_id, "
    columns += "target_type, target_id, patient_id, visit_id, camp_id, data, mac"
    with sqlite3.connect(database) as insider:  # drops the unique index, then copies a sealed row
        insider.execute("DROP INDEX audit_event_id_unique")
        (original,) = insider.execute(
            "SELECT id FROM audit_auditevent WHERE event = 'patient.updated' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        insider.execute(
            f"INSERT INTO audit_auditevent ({columns}) SELECT {columns} FROM audit_auditevent WHERE id = ?",  # noqa: S608
            [original],
        )
        (copy,) = insider.execute("SELECT MAX(id) FROM audit_auditevent").fetchone()
    servers.manage(env, "audit_seal")  # the sealer refuses it (audit.replay_detected)
    server = servers.start(env, failing=("audit",))  # the trail is alarmed; the auditor's pages still serve
    problems = servers.requests.get(f"{server.url}/api/v1/health/", timeout=30).json()["checks"]["audit"]["problems"]
    assert any("index audit_event_id_unique on audit_auditevent is missing or not unique" in p for p in problems)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        for width, name in ((1280, "desktop"), (390, "phone")):
            context, page = signed_in(browser, server, "aud_replay", password, width)
            page.goto(f"{server.url}/admin/audit/auditevent/{copy}/change/")
            text = page.inner_text("#content")
            assert "DOES NOT VERIFY" in text and "stored 2 times: a replayed or copied row" in text
            page.screenshot(path=str(ARTIFACTS / f"replayed-row-detail-{name}.png"), full_page=True)
            context.close()
    finally:
        server.stop()
    verified = audit_verify(env)
    assert verified.returncode == 2 and "is stored 2 times: a replayed or copied row" in verified.stderr
