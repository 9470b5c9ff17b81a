"""One step past the issue's list, as an insider went: a temporary table standing in for the seals, an
id the database never issued, a store wiped to nothing and declared restored, a trigger left
disabled, an empty witness copy, a checkpoint file that is not where the settings say."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from audit.chain import ChainWatch, accept_head, seal_pending
from audit.guards import guard, missing
from audit.keys import GENESIS, event_mac
from audit.models import AuditEvent, AuditSeal
from tests.audit.test_store import _some_events, verify

pytestmark = pytest.mark.django_db
HEALTH = "/api/v1/health/"


def execute(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.mark.postgres
def test_a_temporary_table_cannot_stand_in_for_the_seals():
    _some_events(2)
    seal_pending()
    ShipCursor = AuditSeal._meta.apps.get_model("audit", "ShipCursor")
    ShipCursor.objects.create(sink="logbull", seq=1)
    execute("CREATE TEMP TABLE audit_auditseal (seq bigint)")
    execute("INSERT INTO pg_temp.audit_auditseal VALUES (9999999)")
    with pytest.raises(DatabaseError, match="head"), transaction.atomic():
        execute("UPDATE public.audit_shipcursor SET seq = 9999999 WHERE sink = 'logbull'")
    assert missing(connection) == []  # every function runs with its fixed search_path


@pytest.mark.postgres
def test_an_event_with_an_id_the_database_never_issued_is_refused_and_named(audit):
    real = _some_events(2)[0]
    seal_pending()
    record = {**real.payload(), "event_id": "e" * 32}
    data = json.dumps(record, sort_keys=True, separators=(",", ":"))
    copy = (  # the real row's columns, a new id and event id, and a valid MAC: the insider holds the chain key
        "INSERT INTO audit_auditevent (id, event_id, timestamp, event, action, outcome, reason, source, actor_id, "
        "actor_username, request_id, target_type, target_id, patient_id, visit_id, camp_id, data, mac) "
        "SELECT %s, %s, timestamp, event, action, outcome, reason, source, actor_id, actor_username, request_id, "
        "target_type, target_id, patient_id, visit_id, camp_id, %s, %s FROM audit_auditevent WHERE id = %s"
    )
    execute(copy, [10**12, "e" * 32, data, event_mac(data), real.pk])
    later = _some_events(1)[-1]  # a genuine event after it, with an id the sequence gave
    seal_pending()
    assert not AuditSeal.objects.filter(event_pk=10**12).exists()
    assert AuditSeal.objects.filter(event_pk=later.pk).exists()  # the window was not pushed past it
    alarm = audit.one("audit.forgery_detected")
    assert alarm["reason"] == "event_id_not_issued" and alarm["target"]["id"] == 10**12
    code, out = verify()
    assert code == 2 and f"unsealed event {10**12}: its id was never issued" in out


def test_a_store_wiped_and_declared_restored_seals_again_and_never_reads_plain_intact(tmp_path, settings):
    _some_events(2)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first()
    log = tmp_path / "audit.jsonl"
    log.write_text(json.dumps({"event": "audit.sealed", "details": {"seq": head.seq, "head_hash": head.hash}}) + "\n")
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    on = " ON {}" if connection.vendor == "postgresql" else ""
    for table in ("audit_auditevent", "audit_auditseal"):
        execute(f"DROP TRIGGER {table}_no_delete{on.format(table)}")
        execute(f"DELETE FROM {table}")  # noqa: S608
    guard(connection)  # the insider puts the triggers back
    code, out = verify()
    assert code == 2 and "truncated" in out  # not declared: cut
    assert seal_pending(watch=ChainWatch.from_file(log)).refused  # a server refuses the shorter chain
    with open(log, "a") as lines:  # what `audit_seal --restored` writes to the file
        seq, digest = accept_head()
        assert (seq, digest) == (0, GENESIS)
        lines.write(json.dumps({"event": "audit.chain_restored", "details": {"seq": 0, "head_hash": GENESIS}}) + "\n")
    _some_events(1)
    done = seal_pending(watch=ChainWatch.from_file(log))
    assert done.refused == "" and done.count >= 1  # an empty chain restored seals again
    code, out = verify()
    assert code == 1 and "intact since a restore" in out and "rolled back 1 checkpoints" in out


def test_a_disabled_or_missing_trigger_is_named_by_verify_and_health(anon):
    _some_events(1)
    seal_pending()
    if connection.vendor == "postgresql":
        execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_no_update")
    else:
        execute("DROP TRIGGER audit_auditevent_no_update")
    (problem,) = missing(connection)
    assert problem.startswith("trigger audit_auditevent_no_update is ")  # missing (SQLite) or disabled
    code, out = verify()
    assert code == 2 and "the database's guard is down: trigger audit_auditevent_no_update" in out
    body = anon.get(HEALTH).json()
    assert body["failing"] == ["audit"] and any("guard is down" in p for p in body["checks"]["audit"]["problems"])
    guard(connection)  # the next migrate puts it back, ALWAYS enabled
    assert missing(connection) == [] and verify()[0] == 0


def test_an_empty_witness_copy_and_a_missing_checkpoint_file_vouch_for_nothing(tmp_path, settings):
    _some_events(1)
    seal_pending()
    empty = tmp_path / "witness"
    empty.mkdir()
    code, out = verify("--witness", str(empty), "--witness-key", "A" * 43 + "=")
    assert code == 2 and "no signed checkpoint in it" in out
    settings.AUDIT_CHECKPOINT_FILE = str(Path(tmp_path) / "nowhere" / "audit.jsonl")
    code, out = verify()
    assert code == 2 and "no checkpoint file at" in out and "AUDIT_CHECKPOINT_FILE" in out
    assert AuditEvent.objects.exists()


# --- the second round: an owner who neuters the guards instead of dropping them --------------------
NEUTERED = """CREATE OR REPLACE FUNCTION public.audit_append_only() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$ BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW; END $$"""
SWALLOW = """CREATE FUNCTION audit_index_hint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
    CREATE TRIGGER audit_auditevent_hint BEFORE INSERT ON audit_auditevent FOR EACH ROW
    WHEN (NEW.patient_id = 2) EXECUTE FUNCTION audit_index_hint()"""


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("attack", "named"),
    [
        (NEUTERED, "function audit_append_only is missing, has another body"),
        (
            "CREATE OR REPLACE TRIGGER audit_auditseal_no_delete BEFORE DELETE ON audit_auditseal FOR EACH ROW "
            "WHEN (false) EXECUTE FUNCTION audit_append_only(); "
            "ALTER TABLE audit_auditseal ENABLE ALWAYS TRIGGER audit_auditseal_no_delete",
            "trigger audit_auditseal_no_delete on audit_auditseal is not as planned",
        ),
        (SWALLOW, "trigger audit_auditevent_hint on audit_auditevent is not one of the trail's"),
        (
            "CREATE RULE audit_quiet AS ON INSERT TO audit_auditevent WHERE NEW.patient_id = 2 DO INSTEAD NOTHING",
            "rule audit_quiet on audit_auditevent",
        ),
        (
            "DROP INDEX audit_event_id_unique; CREATE INDEX audit_event_id_unique ON audit_auditevent (event_id)",
            "index audit_event_id_unique on audit_auditevent is missing or not unique",
        ),
    ],
)
def test_a_neutered_guard_is_named_by_verify_and_health(attack, named, anon):
    _some_events(1)
    seal_pending()
    execute(attack)
    code, out = verify()
    assert code == 2 and f"the database's guard is down: {named}" in out, out
    body = anon.get(HEALTH).json()
    assert body["failing"] == ["audit"] and any(named in p for p in body["checks"]["audit"]["problems"])


@pytest.mark.postgres
def test_the_next_migrate_puts_a_neutered_function_back():
    _some_events(1)
    execute(NEUTERED)
    guard(connection)
    assert missing(connection) == []
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        execute("UPDATE patients_historicalpatient SET name = 'Forged'")


@pytest.mark.parametrize(
    "junk",
    ["Infinity", "-Infinity", "1e400", "-5", '"7"', "true", "null", "[1]"],
)
def test_a_junk_checkpoint_line_is_named_never_a_crash(junk, tmp_path, settings):
    _some_events(1)
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first()
    log = tmp_path / "audit.jsonl"
    good = json.dumps({"event": "audit.sealed", "details": {"seq": head.seq, "head_hash": head.hash}})
    bad = good.replace(f'"seq": {head.seq}', f'"seq": {junk}')
    log.write_text(good + "\n" + bad + "\n" + good.replace(head.hash, "x" * 100) + "\n")
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    assert ChainWatch.from_file(log).checkpoint == (head.seq, head.hash)  # a server starts on the good line
    code, out = verify()
    assert code == 2 and f"{log} line 2: a audit.sealed line whose seq or hash is malformed" in out
    assert f"{log} line 3: a audit.sealed line whose seq or hash is malformed" in out


def test_a_witness_file_moved_away_and_a_key_others_can_read_are_named(tmp_path, settings):
    from django.core import checks
    from django.core.management import call_command

    key = tmp_path / "witness" / "key.pem"
    key.parent.mkdir()
    call_command("audit_witness_key", "--out", str(key), stdout=io.StringIO())
    settings.AUDIT_WITNESS_KEY_FILE = str(key)
    settings.AUDIT_WITNESS_FILE = str(tmp_path / "witness" / "moved-away.jsonl")
    _some_events(1)
    seal_pending()
    Path(settings.AUDIT_WITNESS_FILE).unlink()  # the owner moves the signed checkpoints away
    code, out = verify()
    assert code == 2 and "no signed checkpoint at" in out and "yet a witness key signs checkpoints" in out
    assert [e.id for e in checks.run_checks(tags=["audit"]) if e.id.startswith("audit.E00")] == []
    key.chmod(0o644)
    assert "audit.E005" in [e.id for e in checks.run_checks(tags=["audit"])]
