"""Changes made outside the audited path are found, written down once, and then no longer found."""

from __future__ import annotations

import io
import json
import secrets
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit.reconcile import compared_columns
from patients.models import Patient, Visit
from tests import servers
from tests.factories import PatientFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.django_db


def test_nothing_drifted_after_a_camp_day_of_audited_changes(reconcile):
    PatientFactory.create_batch(3)
    VisitFactory()
    assert reconcile() == []


def test_a_queryset_update_is_found_with_old_and_new_values(reconcile, audit):
    patient = PatientFactory(name="Asha", area="Kothur")
    Patient.objects.filter(pk=patient.pk).update(area="Elsewhere")  # no history row, no event
    rows = Patient.history.filter(id=patient.pk).count()
    (drift,) = reconcile()
    assert (drift.model, drift.pk, drift.kind) == (Patient, patient.pk, "changed")
    assert Patient.history.filter(id=patient.pk).count() == rows + 1
    latest = Patient.history.filter(id=patient.pk).latest("history_id")
    assert latest.area == "Elsewhere" and latest.history_user_id is None
    assert "outside the audited path" in latest.history_change_reason
    event = audit.one("record.changed_outside_audit")
    assert event["changes"] == {"area": {"old": "Kothur", "new": "Elsewhere"}}
    assert (event["source"], event["actor"], event["patient_id"]) == ("database", None, patient.pk)
    assert event["target"] == {"type": "patient", "id": patient.pk}
    assert reconcile() == []  # written down once


def test_raw_sql_and_a_row_with_no_history_are_found(reconcile, audit):
    visit = VisitFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE patients_visit SET status = 'cancelled' WHERE id = %s", [visit.pk])
        cursor.execute(
            "INSERT INTO patients_patient (book_no, name, age_years, sex, phone, area, address, created_at, updated_at)"
            " VALUES ('RAW-1', 'Ramu', 50, 'male', '', 'Kothur', '', %s, %s)",
            [visit.registered_at, visit.registered_at],
        )
    found = {(d.model, d.kind) for d in reconcile()}
    assert found == {(Visit, "changed"), (Patient, "created")}
    changed = audit.one("record.changed_outside_audit")
    assert changed["changes"]["status"]["new"] == "cancelled"
    assert (changed["visit_id"], changed["camp_id"]) == (visit.pk, visit.camp_id)
    created = audit.one("record.created_outside_audit")
    assert created["fields"]["book_no"] == "RAW-1"


def test_a_deleted_row_is_found(reconcile, audit):
    patient = PatientFactory()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM patients_patient WHERE id = %s", [patient.pk])
    (drift,) = reconcile()
    assert drift.kind == "deleted"
    assert Patient.history.filter(id=patient.pk).latest("history_id").history_type == "-"
    assert audit.one("record.deleted_outside_audit")["target"] == {"type": "patient", "id": patient.pk}
    assert reconcile() == []


def test_only_audited_fields_are_compared(reconcile):
    user = UserFactory()
    assert "last_login" not in compared_columns(type(user)) and "password" not in compared_columns(type(user))
    type(user).objects.filter(pk=user.pk).update(last_login=user.date_joined)  # not in the history: no drift
    assert reconcile() == []


def test_the_command_exits_1_naming_each_record_then_0():
    patient = PatientFactory()
    Patient.objects.filter(pk=patient.pk).update(name="Someone else")
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit_reconcile", stderr=err)
    assert failed.value.returncode == 1 and f"patients.Patient {patient.pk}: changed" in err.getvalue()
    out = io.StringIO()
    call_command("audit_reconcile", stdout=out)
    assert out.getvalue().startswith("nothing changed outside the audited path")


def test_a_serving_process_finds_a_change_made_in_the_database_by_itself(tmp_path):
    env = servers.app_env(f"sqlite:///{tmp_path / 'camp.sqlite3'}", tmp_path, SECRET_KEY=secrets.token_urlsafe(40))
    env.update(AUDIT_SEAL_INTERVAL="0.2", AUDIT_RECONCILE_INTERVAL="0.5")
    servers.manage(env, "migrate", "--noinput")
    make = "from tests.factories import PatientFactory; p = PatientFactory(area='Kothur')"
    drift = "from patients.models import Patient; Patient.objects.update(area='Elsewhere')"
    servers.manage(env, "shell", "-c", make)
    server = servers.start(env)
    try:
        servers.manage(env, "shell", "-c", drift)
        log = tmp_path / "audit.jsonl"
        deadline = time.monotonic() + 30
        found: list[dict] = []
        while not found and time.monotonic() < deadline:
            time.sleep(0.2)
            lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
            found = [e for e in lines if e["event"] == "record.changed_outside_audit"]
    finally:
        server.stop()
    assert len(found) == 1 and found[0]["changes"]["area"] == {"old": "Kothur", "new": "Elsewhere"}
