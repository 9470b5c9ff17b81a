"""A record is held to its newest sealed change event, not to its history row alone: an insider who
edits a record together with its newest history row (the owner, past the history triggers) is found."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.append_only import append_only_sql
from audit.chain import seal_pending
from patients import services as patient_services
from patients.models import Patient, Vitals
from tests.factories import PatientFactory, PrescriptionFactory, UserFactory, VisitFactory, VitalsFactory

pytestmark = pytest.mark.django_db


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def lift_history_guard(table: str) -> None:
    """What the owner does first (rolled back with the test): drop the history table's triggers."""
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    for op in ("update", "delete") + (("truncate",) if connection.vendor == "postgresql" else ()):
        execute(f"DROP TRIGGER {table}_no_{op}{on}")
    assert len(append_only_sql(connection.vendor, table)) >= 2


def test_records_of_every_kind_agree_with_their_sealed_events(reconcile):
    admin = UserFactory(roles=["admin"])
    patient = PatientFactory(name="Asha", area="Kothur")
    patient_services.patient_update(by=admin, patient_id=patient.pk, area="Elsewhere", age_years=41)
    VitalsFactory(visit=VisitFactory(patient=patient), weight_kg=60, temperature_c="37.20")
    PrescriptionFactory()
    seal_pending()
    assert reconcile() == []  # decimals, datetimes, JSON and foreign keys read back as they were sealed


def test_a_record_edited_with_its_history_row_is_found_against_its_sealed_event(reconcile, audit):
    admin = UserFactory(roles=["admin"])
    patient = PatientFactory(name="Asha", area="Kothur")
    patient_services.patient_update(by=admin, patient_id=patient.pk, area="Elsewhere")
    seal_pending()
    lift_history_guard("patients_historicalpatient")
    execute("UPDATE patients_patient SET name = 'Forged', area = 'Nowhere' WHERE id = %s", [patient.pk])
    newest = Patient.history.filter(id=patient.pk).latest("history_id").history_id
    execute("UPDATE patients_historicalpatient SET name = 'Forged', area = 'Nowhere' WHERE history_id = %s", [newest])
    rows = Patient.history.filter(id=patient.pk).count()
    (drift,) = reconcile()
    assert (drift.model, drift.pk, drift.kind) == (Patient, patient.pk, "history_edited")
    event = audit.one("record.changed_outside_audit")
    assert event["changes"] == {
        "area": {"old": "Elsewhere", "new": "Nowhere"},
        "name": {"old": "Asha", "new": "Forged"},
    }
    assert event["details"]["history_edited"] is True and event["target"] == {"type": "patient", "id": patient.pk}
    latest = Patient.history.filter(id=patient.pk).latest("history_id")
    assert Patient.history.filter(id=patient.pk).count() == rows + 1 and "history row" in latest.history_change_reason
    seal_pending()
    assert reconcile() == []  # written down once: its own sealed event holds the new state


def test_an_unsealed_change_waits_for_its_seal(reconcile):
    patient = PatientFactory(area="Kothur")
    seal_pending()
    admin = UserFactory(roles=["admin"])
    patient_services.patient_update(by=admin, patient_id=patient.pk, area="Elsewhere")  # not sealed yet
    assert reconcile() == []


def test_a_record_deleted_with_its_whole_history_is_found(reconcile, audit):
    vitals = VitalsFactory()
    seal_pending()
    lift_history_guard("patients_historicalvitals")
    execute("DELETE FROM patients_historicalvitals WHERE id = %s", [vitals.pk])
    execute("DELETE FROM patients_vitals WHERE id = %s", [vitals.pk])
    (drift,) = reconcile()
    assert (drift.model, drift.kind) == (Vitals, "deleted")
    event = audit.one("record.deleted_outside_audit")
    assert event["details"]["history_gone"] is True and event["target"] == {"type": "vitals", "id": vitals.pk}
