"""What the database itself refuses: a replayed event row, a history row edited or deleted, a seal
that does not extend the chain, a ship cursor moved back or past the head. And what the sealer
does when an owner has dropped those guards: it alarms and seals nothing it cannot vouch for."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit.append_only import history_tables
from audit.chain import ChainWatch, seal_pending
from audit.guards import guarded_triggers
from audit.keys import GENESIS
from audit.models import AuditEvent, AuditSeal, ShipCursor
from patients.models import Patient
from tests.audit.test_store import _some_events, verify

pytestmark = pytest.mark.django_db

COPY = """
    INSERT INTO audit_auditevent (event_id, timestamp, event, action, outcome, reason, source, actor_id,
        actor_username, request_id, target_type, target_id, patient_id, visit_id, camp_id, data, mac)
    SELECT event_id, timestamp, event, action, outcome, reason, source, actor_id, actor_username, request_id,
        target_type, target_id, patient_id, visit_id, camp_id, data, mac
    FROM audit_auditevent WHERE id = %s
"""


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def refused(sql: str, params: list | None = None) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        execute(sql, params)
    return str(caught.value)


def drop(table: str, *names: str) -> None:
    """What an owner does first: drop a guard (rolled back with the test)."""
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    for name in names:
        execute(f"DROP TRIGGER {name}{on}")


# --- 1. one event, one row ---------------------------------------------------------------------
def test_a_replayed_row_is_refused_by_the_database():
    events = _some_events(2)
    with pytest.raises(IntegrityError), transaction.atomic():
        execute(COPY, [events[0].pk])
    assert AuditEvent.objects.filter(event_id=events[0].event_id).count() == 1


def test_a_replay_past_a_dropped_index_is_alarmed_and_never_sealed(audit):
    events = _some_events(2)
    seal_pending()
    execute("DROP INDEX audit_event_id_unique")
    execute(COPY, [events[0].pk])
    copy = AuditEvent.objects.filter(event_id=events[0].event_id).order_by("-id").first()
    assert copy.pk != events[0].pk
    _some_events(1)  # a genuine event after the copy is still sealed
    watch = ChainWatch()
    done = seal_pending(watch=watch)
    assert done.count >= 1 and not AuditSeal.objects.filter(event_pk=copy.pk).exists()
    alarm = audit.one("audit.replay_detected")
    assert alarm["target"] == {"type": "audit_event", "id": copy.pk} and alarm["level"] == "CRITICAL"
    seal_pending(watch=watch)
    assert len(audit.named("audit.replay_detected")) == 1  # once per row and process
    code, out = verify()
    assert code == 2 and f"event {copy.event_id} is stored 2 times" in out


# --- 2. history is append-only ----------------------------------------------------------------
def test_every_history_table_is_guarded():
    tables = history_tables()
    assert "patients_historicalpatient" in tables and len(tables) >= 10
    present = guarded_triggers(connection)
    operations = ("update", "delete", "truncate") if connection.vendor == "postgresql" else ("update", "delete")
    missing = [(t, f"{t}_no_{op}") for t in tables for op in operations if (t, f"{t}_no_{op}") not in present]
    assert missing == []


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE patients_historicalpatient SET name = 'Forged'",
        "DELETE FROM patients_historicalpatient",
        "UPDATE patients_historicalpatient SET history_type = '-', history_user_id = NULL",
    ],
)
def test_history_rows_cannot_be_edited_or_deleted(attack):
    _some_events(1)
    assert "append-only" in refused(attack)


@pytest.mark.postgres
def test_history_refuses_truncate_and_the_replica_role():
    assert "append-only" in refused("TRUNCATE patients_historicalpatient CASCADE")  # a statement trigger
    _some_events(1)
    with transaction.atomic():
        execute("SET LOCAL session_replication_role = replica")
        assert "append-only" in refused("UPDATE patients_historicalpatient SET name = 'Forged'")


# --- 3. the chain and the cursor cannot be steered --------------------------------------------
def _seal_values(seq: int, prev: str, event: AuditEvent) -> list:
    return [seq, event.pk, event.event_id, prev, "e" * 64, event.timestamp]


SEAL = (
    "INSERT INTO audit_auditseal (seq, event_pk, event_id, prev_hash, hash, sealed_at) VALUES (%s, %s, %s, %s, %s, %s)"
)


def test_a_seal_that_does_not_extend_the_chain_is_refused():
    events = _some_events(4)
    seal_pending(batch=2)
    head = AuditSeal.objects.order_by("-seq").first()
    spare = events[-1]
    assert "does not extend the chain" in refused(SEAL, _seal_values(head.seq + 5, head.hash, spare))
    assert "does not extend the chain" in refused(SEAL, _seal_values(head.seq + 1, GENESIS, spare))
    assert "refused" in refused(SEAL, [head.seq + 1, spare.pk, "0" * 32, head.hash, "e" * 64, spare.timestamp])


def test_a_junk_seal_that_fits_the_chain_stops_the_sealer_with_an_alarm(audit):
    events = _some_events(4)
    seal_pending(batch=2)
    head = AuditSeal.objects.order_by("-seq").first()
    execute(SEAL, _seal_values(head.seq + 1, head.hash, events[-1]))  # the right place, a made-up hash
    done = seal_pending(watch=ChainWatch(checkpoint=(head.seq, head.hash)))
    assert done.count == 0 and "does not verify with the key" in done.refused
    assert audit.one("audit.chain_rewritten")["level"] == "CRITICAL"
    assert AuditSeal.objects.order_by("-seq").first().seq == head.seq + 1  # nothing built on it
    # A process with no checkpoint (just started, no file) checks the head all the same.
    assert "does not verify" in seal_pending(watch=ChainWatch()).refused


def test_the_ship_cursor_moves_forward_only_and_never_past_the_head():
    _some_events(3)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first().seq
    cursor = ShipCursor.objects.create(sink="logbull", seq=1)
    assert "forward" in refused("UPDATE audit_shipcursor SET seq = 0 WHERE sink = 'logbull'")
    assert "head" in refused("UPDATE audit_shipcursor SET seq = 999999 WHERE sink = 'logbull'")
    assert "forward" in refused("DELETE FROM audit_shipcursor")
    assert "head" in refused("INSERT INTO audit_shipcursor (sink, seq) VALUES ('other', 999999)")
    execute("UPDATE audit_shipcursor SET seq = %s WHERE sink = 'logbull'", [head])  # forward to the head: fine
    cursor.refresh_from_db()
    assert cursor.seq == head


def test_an_edited_record_with_its_history_row_is_still_refused_by_the_guard():
    _some_events(1)
    patient = Patient.objects.order_by("-pk").first()
    execute("UPDATE patients_patient SET name = 'Forged' WHERE id = %s", [patient.pk])  # the record: allowed
    assert "append-only" in refused("UPDATE patients_historicalpatient SET name = 'Forged' WHERE id = %s", [patient.pk])
