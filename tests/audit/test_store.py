"""The event store: the same events as the other sinks, append-only in the database, sealed by a chain."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit.chain import chain_key, seal_hash, seal_pending
from audit.guards import guard
from audit.keys import event_mac
from audit.models import AuditEvent, AuditSeal
from audit.trail_admin import patient_trail
from patients import services as patient_services
from tests.factories import CampFactory, MedicineFactory, PatientFactory, StockBatchFactory, UserFactory


def trail_ids(patient_id: int) -> list[str]:
    return list(AuditEvent.objects.filter(patient_trail(patient_id)).order_by("id").values_list("event_id", flat=True))


def file_trail(lines: list[dict], patient_id: int) -> list[str]:
    def about(e: dict) -> bool:
        return e.get("patient_id") == patient_id or e.get("target") == {"type": "patient", "id": patient_id}

    return [e["event_id"] for e in lines if about(e)]


@pytest.mark.django_db(transaction=True)
def test_a_camp_day_leaves_the_same_trail_in_the_store_and_the_file(client_for, audit_file):
    volunteer, doctor = UserFactory(roles=["volunteer"]), UserFactory(roles=["doctor"])
    camp = CampFactory(status="active")
    api, reader = client_for(volunteer), client_for(doctor)
    patient = api.post(
        "/api/v1/patients/",
        {"book_no": "ST-1", "name": "Asha", "age_years": 40, "sex": "female", "area": "Kothur"},
        format="json",
    )
    assert patient.status_code == 201, patient.json()
    pid = patient.json()["id"]
    visit = api.post(f"/api/v1/patients/{pid}/visits/", {"camp": camp.pk}, format="json").json()
    vitals = {"bp_systolic": 120, "bp_diastolic": 80, "pulse": 70, "rbs": 110, "weight_kg": 60, "height_cm": 160}
    assert api.post(f"/api/v1/visits/{visit['id']}/vitals/", vitals, format="json").status_code == 201
    reader.get(f"/api/v1/patients/{pid}/")
    reader.get(f"/api/v1/visits/{visit['id']}/")
    assert api.patch(f"/api/v1/patients/{pid}/", {"age_years": 400}, format="json").status_code == 400  # a refusal
    stored = trail_ids(pid)
    assert stored == file_trail(audit_file(), pid)
    events = list(AuditEvent.objects.filter(event_id__in=stored).values_list("event", "outcome"))
    names = {name for name, _ in events}
    assert {"patient.created", "visit.registered", "vitals.recorded", "patient.viewed", "visit.viewed"} <= names
    assert ("patient.update", "failure") in events


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_row():
    admin = UserFactory(roles=["admin"])
    patient = PatientFactory()
    before = trail_ids(patient.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        patient_services.patient_update(by=admin, patient_id=patient.pk, area="Somewhere")
        assert len(trail_ids(patient.pk)) == len(before) + 1  # written in the change's own transaction
        raise RuntimeError("power cut")
    assert trail_ids(patient.pk) == before


@pytest.mark.django_db(transaction=True)
def test_a_refused_dispense_keeps_its_row(client_for):
    from tests.factories import ConsultationFactory, PrescriptionFactory

    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine, quantity_on_hand=1, quantity_received=1)
    prescription = PrescriptionFactory(consultation=ConsultationFactory(), medicine=medicine, quantity=5)
    visit = prescription.consultation.visit
    pharmacist = UserFactory(roles=["pharmacist"])
    response = client_for(pharmacist).post(
        f"/api/v1/visits/{visit.pk}/dispense/",
        {"items": [{"prescription": prescription.pk, "quantity": 5}]},
        format="json",
    )
    assert response.status_code == 409
    refusal = AuditEvent.objects.filter(outcome="failure", target_id=str(visit.pk), reason="insufficient_stock")
    assert refusal.count() == 1 and refusal.get().actor_id == pharmacist.pk


# --- append-only ---------------------------------------------------------------------------
def _some_events(n: int = 5) -> list[AuditEvent]:
    admin = UserFactory(roles=["admin"])
    patient = PatientFactory()
    for i in range(n):
        patient_services.patient_update(by=admin, patient_id=patient.pk, area=f"Area {i}")
    return list(AuditEvent.objects.filter(patient_id=patient.pk).order_by("id"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "attempt",
    [
        lambda: AuditEvent.objects.update(event="forged"),
        lambda: AuditEvent.objects.all().delete(),
        lambda: AuditSeal.objects.update(hash="0" * 64),
        lambda: AuditSeal.objects.all().delete(),
        lambda: connection.cursor().execute("UPDATE audit_auditevent SET data = '{}'"),
        lambda: connection.cursor().execute("DELETE FROM audit_auditevent"),
        lambda: connection.cursor().execute("DELETE FROM audit_auditseal"),
    ],
    ids=[
        "orm update",
        "orm delete",
        "orm seal update",
        "orm seal delete",
        "sql update",
        "sql delete",
        "sql seal delete",
    ],
)
def test_the_store_refuses_update_and_delete(attempt):
    _some_events(2)
    seal_pending()
    before = (AuditEvent.objects.count(), AuditSeal.objects.count())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        attempt()
    assert (AuditEvent.objects.count(), AuditSeal.objects.count()) == before


# --- tamper evidence ------------------------------------------------------------------------
def drop_triggers() -> None:
    """What an attacker with database access does first (rolled back with the test)."""
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditseal"):
            for op in ("update", "delete"):
                on = f" ON {table}" if connection.vendor == "postgresql" else ""
                cursor.execute(f"DROP TRIGGER {table}_no_{op}{on}")


def verify(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, err.getvalue() + str(exc)
    return 0, out.getvalue()


def seq_of(event: AuditEvent) -> int:
    return AuditSeal.objects.get(event_pk=event.pk).seq


@pytest.mark.django_db
def test_an_intact_store_verifies():
    _some_events()
    call_command("audit_seal", stdout=io.StringIO())
    code, out = verify()
    assert code == 0 and out.startswith("audit trail intact: events ")
    assert "pending 0" in out


@pytest.mark.django_db
def test_an_edited_event_is_named_by_its_seq():
    events = _some_events()
    seal_pending()
    drop_triggers()
    victim = events[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = REPLACE(data, 'Area', 'Elsewhere') WHERE id = %s", [victim.pk]
        )
    code, out = verify()
    assert code == 2
    assert f"seq {seq_of(victim)}: event {victim.event_id} was edited" in out


@pytest.mark.django_db
def test_a_deleted_event_is_named_by_its_seq():
    events = _some_events()
    seal_pending()
    victim_seq = seq_of(events[1])
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    code, out = verify()
    assert code == 2 and f"seq {victim_seq}: event {events[1].event_id} is missing (deleted)" in out


@pytest.mark.django_db
def test_a_deleted_seal_shows_as_a_gap():
    events = _some_events()
    seal_pending()
    victim_seq = seq_of(events[3])
    drop_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE seq = %s", [victim_seq])
    code, out = verify()
    assert code == 2 and f"seq {victim_seq}..{victim_seq}: seals missing (deleted)" in out


@pytest.mark.django_db
def test_two_swapped_seals_are_caught():
    events = _some_events()
    seal_pending()
    a, b = seq_of(events[1]), seq_of(events[2])
    drop_triggers()
    with connection.cursor() as cursor:  # swap their places in the chain
        cursor.execute("UPDATE audit_auditseal SET seq = -1 WHERE seq = %s", [a])
        cursor.execute("UPDATE audit_auditseal SET seq = %s WHERE seq = %s", [a, b])
        cursor.execute("UPDATE audit_auditseal SET seq = %s WHERE seq = -1", [b])
    code, out = verify()
    assert code == 2 and f"seq {a}: its previous hash is not the hash of seq {a - 1}" in out


@pytest.mark.django_db
def test_a_chain_rewritten_with_the_key_is_caught_by_the_checkpoints(tmp_path, audit_file):
    events = _some_events()
    seal_pending()  # writes an audit.sealed checkpoint to the JSONL file
    checkpoints = [e for e in audit_file() if e["event"] == "audit.sealed"]
    assert checkpoints and checkpoints[-1]["details"]["head_hash"] == AuditSeal.objects.order_by("-seq")[0].hash
    kept = tmp_path / "audit.jsonl"  # this test's lines of the JSONL file, as a copy kept elsewhere
    kept.write_text("".join(json.dumps(e) + "\n" for e in audit_file()))
    drop_triggers()
    victim = events[1]
    start = seq_of(victim)
    forged = victim.data.replace('"outcome":"success"', '"outcome":"failure"')
    assert forged != victim.data
    key = chain_key()
    with connection.cursor() as cursor:
        # Holding the key, they sign the forged event too, and make its columns say what it says.
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s, mac = %s, outcome = 'failure' WHERE id = %s",
            [forged, event_mac(forged), victim.pk],
        )
        seals = list(AuditSeal.objects.filter(seq__gte=start).order_by("seq"))
        prev = seals[0].prev_hash
        for seal in seals:  # recompute every later hash, as someone holding the key could
            data = AuditEvent.objects.get(pk=seal.event_pk).data
            digest = seal_hash(key, prev, data)
            cursor.execute(
                "UPDATE audit_auditseal SET prev_hash = %s, hash = %s WHERE seq = %s", [prev, digest, seal.seq]
            )
            prev = digest
    guard(connection)  # and puts the triggers back, covering the tracks
    assert verify()[0] == 0  # the chain alone looks intact...
    code, out = verify("--checkpoints", str(kept))
    assert code == 2 and "disagrees with checkpoint" in out  # ...the copy outside the database does not
    head = checkpoints[-1]["details"]["seq"]
    assert f"seq {head}: chain hash" in out


def test_checkpoint_hashes_are_not_redacted():
    from audit.event_types import AUDIT_SEALED
    from audit.events import build_event

    record = build_event(AUDIT_SEALED, details={"seq": 3, "head_hash": "ab" * 32})
    assert record["details"]["head_hash"] == "ab" * 32
    assert json.dumps(record).count("redacted") == 0
