"""The proof against someone who holds the database but not the app's key.

Each test does what an insider with psql would (triggers dropped where the attack needs
it; everything rolls back with the test) and asserts what audit_verify, the sealer and the
auditor's screens then say.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from audit.chain import ChainWatch, seal_pending
from audit.keys import event_mac
from audit.models import AuditEvent, AuditSeal
from audit.verification import checkpoints_from
from tests.audit.test_store import _some_events, drop_triggers, seq_of, verify
from tests.conftest import require_postgres
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def forge_row(pk: int | None = None, data: str | None = None, mac: str = "") -> int:
    """A row inserted by hand: an event that never happened, with whatever MAC one can make up."""
    real = AuditEvent.objects.order_by("id").first()
    record = {**real.payload(), "event_id": "f" * 32, "actor": {"id": 1, "username": "dr_rao"}}
    data = data or json.dumps(record, sort_keys=True, separators=(",", ":"))
    columns = "event_id, timestamp, event, action, outcome, reason, source, actor_username, request_id, "
    columns += "target_type, target_id, data, mac"
    values = ["f" * 32, real.timestamp, real.event, real.action, real.outcome, "", real.source, "dr_rao", "", "", ""]
    values += [data, mac]
    if pk is not None:
        columns, values = f"id, {columns}", [pk, *values]
    execute(f"INSERT INTO audit_auditevent ({columns}) VALUES ({', '.join(['%s'] * len(values))})", values)  # noqa: S608
    return pk if pk is not None else AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]


# --- 1. the seal covers what is shown ---------------------------------------------------------
def test_an_edited_column_is_named_by_seq_and_column_and_shown_on_the_detail_page():
    events = _some_events()
    seal_pending()
    victim = events[2]
    drop_triggers()
    execute("UPDATE audit_auditevent SET actor_username = 'dr_rao', patient_id = NULL WHERE id = %s", [victim.pk])
    code, out = verify()
    seq = seq_of(victim)
    assert code == 2
    actor = victim.actor_username
    assert f"seq {seq}: column actor_username is 'dr_rao' but the sealed event says '{actor}'" in out
    assert f"seq {seq}: column patient_id is None but the sealed event says {victim.patient_id}" in out
    auditor = Client()
    auditor.force_login(UserFactory(roles=["auditor"]))
    page = auditor.get(f"/admin/audit/auditevent/{victim.pk}/change/").content.decode()
    assert "2 columns of this row disagree with its sealed event" in page
    assert actor in page and "column says dr_rao" in page
    listing = auditor.get("/admin/audit/auditevent/").content.decode()
    assert listing.count("row edited: its columns disagree with its seal") == 1


# --- 2. events the database alone cannot forge ------------------------------------------------
@pytest.mark.parametrize("pk", [None, 0], ids=["next id", "back-dated id 0"])
def test_a_row_inserted_by_hand_is_never_sealed_and_raises_an_alarm_once(audit, pk):
    _some_events(2)
    forged = forge_row(pk=pk, mac="0" * 64)
    genuine = AuditEvent.objects.exclude(pk=forged).count()
    watch = ChainWatch()
    sealed = seal_pending(watch=watch)
    assert not AuditSeal.objects.filter(event_pk=forged).exists()
    assert sealed.count == genuine  # every genuine event is sealed around it
    alarms = audit.named("audit.forgery_detected")
    if pk is None:  # within the sealer's window: found and alarmed, once
        assert len(alarms) == 1 and alarms[0]["target"] == {"type": "audit_event", "id": forged}
        seal_pending(watch=watch)
        assert len(audit.named("audit.forgery_detected")) == 1
    code, out = verify()
    assert code == 2 and f"unsealed event {forged} ({'f' * 32}): its MAC does not verify" in out


def test_a_sealed_event_edited_and_resealed_without_the_key_fails_its_mac():
    events = _some_events()
    seal_pending()
    drop_triggers()
    victim = events[1]
    forged = victim.data.replace('"outcome":"success"', '"outcome":"failure"')
    execute(
        "UPDATE audit_auditevent SET data = %s, mac = %s WHERE id = %s",
        [forged, event_mac(forged, b"guess"), victim.pk],
    )
    code, out = verify()
    assert code == 2 and f"seq {seq_of(victim)}: its MAC does not verify" in out


# --- 3. triggers a superuser cannot slip past by accident --------------------------------------
@pytest.mark.postgres
@pytest.mark.parametrize("table", ["audit_auditevent", "audit_auditseal"])
def test_truncate_is_refused(table):
    require_postgres()
    _some_events(2)
    seal_pending()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.postgres
def test_the_replica_role_does_not_silence_the_triggers():
    require_postgres()
    _some_events(2)
    seal_pending()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute("SET LOCAL session_replication_role = replica")
        execute("UPDATE audit_auditevent SET actor_username = 'dr_rao'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute("SET LOCAL session_replication_role = replica")
        execute("DELETE FROM audit_auditseal")


# --- 4. checkpoints that catch a rewrite ------------------------------------------------------
def test_the_sealer_stops_rather_than_reseal_over_a_cut_chain(audit):
    events = _some_events()
    watch = ChainWatch()
    seal_pending(watch=watch)  # the process now trusts this head
    head = AuditSeal.objects.order_by("-seq").first()
    drop_triggers()
    execute("DELETE FROM audit_auditseal WHERE seq >= %s", [head.seq - 1])
    execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    refused = seal_pending(watch=watch)
    assert refused.count == 0 and "before checkpoint seq" in refused.refused
    assert AuditSeal.objects.order_by("-seq").first().seq == head.seq - 2  # nothing sealed over the gap
    (alarm,) = audit.named("audit.chain_rewritten")
    assert alarm["details"]["checkpoint_seq"] == head.seq and alarm["level"] == "CRITICAL"
    assert seal_pending(watch=watch).count == 0 and len(audit.named("audit.chain_rewritten")) == 1
    # The alarm is not left in the store it is about: the file and LogBull hear of it at once.
    assert not AuditEvent.objects.filter(event__in=["audit.chain_rewritten", "audit.forgery_detected"]).exists()


def test_the_seal_command_refuses_a_changed_head_until_a_restore_is_declared(tmp_path, settings):
    _some_events(3)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first()
    kept = tmp_path / "audit.jsonl"
    kept.write_text(json.dumps({"event": "audit.sealed", "details": {"seq": head.seq, "head_hash": "e" * 64}}) + "\n")
    settings.AUDIT_CHECKPOINT_FILE = str(kept)
    _some_events(1)
    with pytest.raises(CommandError, match=f"seq {head.seq} has hash {head.hash}, not checkpoint"):
        call_command("audit_seal", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit_seal", "--restored", stdout=out)
    assert out.getvalue().startswith("sealed ")


def test_two_checkpoints_of_one_seq_that_disagree_are_a_failure(tmp_path):
    _some_events(3)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first()
    lines = [
        json.dumps({"event": "audit.sealed", "details": {"seq": head.seq, "head_hash": head.hash}}),
        json.dumps({"event": "audit.sealed", "details": {"seq": head.seq, "head_hash": "d" * 64}}),
    ]
    kept = tmp_path / "audit.jsonl"
    kept.write_text("\n".join(lines) + "\n")
    assert len(checkpoints_from(kept.read_text().splitlines())) == 2  # every checkpoint is kept
    code, out = verify("--checkpoints", str(kept))
    assert code == 2 and f"seq {head.seq}: two checkpoints disagree" in out
