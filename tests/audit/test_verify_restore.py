"""Verify with no arguments tells the whole truth, and a restore is neither a failure for ever nor silent.

- audit_verify reads the checkpoints it can find (AUDIT_CHECKPOINT_FILE, its rotated and gzipped
  copies) and says which; a store shorter than any of them (cut, emptied) fails.
- An unsealed event below the late-commit window is a failure, on the detail page too.
- A server trusts the checkpoint written last, not the highest: after a restore, the restored head.
- A restore's superseded checkpoints are named, not compared; audit_rolled_back lists what it lost.
- The file shipper goes back to where the chain agrees with what it shipped.
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from audit import event_types as E
from audit import store
from audit.chain import LATE_COMMIT_WINDOW, ChainWatch, seal_pending
from audit.events import build_event
from audit.models import AuditEvent, AuditSeal
from audit.shipper import FileShipper
from audit.verification import last_checkpoint
from tests.audit.test_store import _some_events, drop_triggers, verify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def line(event: str, seq: int, digest: str, at: datetime) -> str:
    stamp = at.isoformat().replace("+00:00", "Z")
    return json.dumps({"event": event, "timestamp": stamp, "details": {"seq": seq, "head_hash": digest}}) + "\n"


def head() -> AuditSeal:
    return AuditSeal.objects.order_by("-seq").first()


def insert_row(record: dict, pk: int) -> None:
    """A row with a valid MAC at the id of one's choosing (someone holding the key, or a genuine event)."""
    columns = ", ".join(("id", *store.COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO audit_auditevent ({columns}) VALUES ({', '.join(['%s'] * (len(store.COLUMNS) + 1))})",  # noqa: S608
            [pk, *store._values(record)],
        )


def viewed(n: int = 0) -> dict:
    return build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": n}, source="command", actor=None)


# --- verify by default ------------------------------------------------------------------------
def test_an_emptied_store_fails_plain_verify_against_the_configured_checkpoints(tmp_path, settings):
    _some_events(3)
    seal_pending()
    sealed = head()
    log = tmp_path / "audit.jsonl"
    log.write_text(line("audit.sealed", sealed.seq, sealed.hash, T0))
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    assert verify()[0] == 0
    drop_triggers()
    with connection.cursor() as cursor:  # TRUNCATE, or DELETE with the triggers gone
        cursor.execute("DELETE FROM audit_auditseal")
        cursor.execute("DELETE FROM audit_auditevent")
    code, out = verify()
    assert code == 2 and f"seq {sealed.seq}: a checkpoint names it but the chain ends at 0 (truncated)" in out
    assert "intact" not in out.split("NOT intact")[0] and f"checkpoints read: {log} (1)" in out


def test_rotated_and_gzipped_copies_are_read_too(tmp_path, settings):
    _some_events(3)
    seal_pending()
    sealed = head()
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    (tmp_path / "audit.jsonl.1").write_text(line("audit.sealed", sealed.seq, sealed.hash, T0))
    with gzip.open(tmp_path / "audit.jsonl.2.gz", "wt") as old:
        old.write(line("audit.sealed", sealed.seq + 4, "c" * 64, T0 - timedelta(days=1)))
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    code, out = verify()
    assert code == 2 and f"seq {sealed.seq + 4}: a checkpoint names it but the chain ends at {sealed.seq}" in out
    assert f"{tmp_path}/audit.jsonl.2.gz (1), {tmp_path}/audit.jsonl.1 (1), {log} (0)" in out


def test_an_unsealed_event_below_the_late_commit_window_is_a_failure_on_verify_and_the_detail_page():
    _some_events(2)
    top = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + LATE_COMMIT_WINDOW + 10
    if connection.vendor == "postgresql":  # ids the sequence handed out (to many transactions, say)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)", [top])
    insert_row(viewed(1), top)
    seal_pending()
    assert head().event_pk == top
    insert_row(viewed(2), -1)  # back-dated: no sealing pass ever looks below the window
    assert seal_pending().count == 0
    code, out = verify()
    assert code == 2 and "unsealed event -1 (" in out and "never sealed: below the late-commit window" in out
    assert "pending 0" in out
    auditor = Client()
    auditor.force_login(UserFactory(roles=["auditor"]))
    page = auditor.get("/admin/audit/auditevent/-1/change/").content.decode()
    assert "never sealed: below the late-commit window" in page and "not sealed yet" not in page


def test_a_replayed_row_is_named_by_verify_and_on_the_detail_page():
    events = _some_events(2)
    auditor = Client()
    auditor.force_login(UserFactory(roles=["auditor"]))
    seal_pending()
    with connection.cursor() as cursor:  # an owner dropped the unique index first
        cursor.execute("DROP INDEX IF EXISTS audit_event_id_unique")
    record = json.loads(events[0].data)
    copy = -2  # an id of its own, clear of the id sequence (PostgreSQL does not move it for an explicit id)
    insert_row(record, copy)
    code, out = verify()
    assert code == 2 and f"event {events[0].event_id} is stored 2 times: a replayed or copied row" in out
    for pk in (events[0].pk, copy):
        page = auditor.get(f"/admin/audit/auditevent/{pk}/change/").content.decode()
        assert "DOES NOT VERIFY" in page and "a replayed or copied row" in page


# --- restore ------------------------------------------------------------------------------------
def test_a_server_trusts_the_last_checkpoint_written_not_the_highest(tmp_path):
    _some_events(3)
    seal_pending()
    restored = head()
    log = tmp_path / "audit.jsonl"
    # The newer database sealed to seq +40 before the older backup was restored and declared.
    log.write_text(
        line("audit.sealed", restored.seq + 40, "a" * 64, T0)
        + line("audit.chain_restored", restored.seq, restored.hash, T0 + timedelta(hours=1))
    )
    assert last_checkpoint(log) == (restored.seq, restored.hash)
    watch = ChainWatch.from_file(log)  # a server's start
    _some_events(1)
    done = seal_pending(watch=watch)
    assert done.refused == "" and done.count > 0


def test_a_declared_restore_is_named_by_verify_exit_1_and_its_lost_events_are_listed(tmp_path, settings, audit):
    _some_events(3)
    seal_pending()
    restored = head()
    lost = viewed(7)  # stored in the newer database only: the file heard of it
    log = tmp_path / "audit.jsonl"
    older = line("audit.sealed", restored.seq, restored.hash, T0) + json.dumps(lost) + "\n"
    newer = line("audit.sealed", restored.seq + 5, "b" * 64, T0 + timedelta(minutes=5))
    log.write_text(older + newer)
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    code, out = verify()
    assert code == 2 and f"seq {restored.seq + 5}: a checkpoint names it but the chain ends at" in out
    log.write_text(older + newer + line("audit.chain_restored", restored.seq, restored.hash, T0 + timedelta(hours=1)))
    code, out = verify()
    assert code == 1 and "audit trail intact since a restore" in out, out  # never a plain "intact": events were lost
    assert f"restore at seq {restored.seq} (2025-03-01T10:00:00+00:00): rolled back 1 checkpoints" in out
    assert f"up to seq {restored.seq + 5} (5 sealed events)" in out
    out = io.StringIO()
    call_command("audit_rolled_back", "--file", str(log), stdout=out)
    assert lost["event_id"] in out.getvalue() and "1 events in 1 files are not in the store" in out.getvalue()
    (logged,) = audit.named("audit.rolled_back")
    assert logged["details"]["count"] == 1 and logged["details"]["restores"] == [restored.seq]


def test_a_restore_does_not_excuse_a_rewrite_below_it(tmp_path, settings):
    _some_events(3)
    seal_pending()
    restored = head()
    log = tmp_path / "audit.jsonl"
    log.write_text(
        line("audit.sealed", restored.seq - 1, "d" * 64, T0)
        + line("audit.chain_restored", restored.seq, restored.hash, T0 + timedelta(hours=1))
    )
    settings.AUDIT_CHECKPOINT_FILE = str(log)
    code, out = verify()
    assert code == 2 and f"seq {restored.seq - 1}: chain hash" in out and "(rewritten)" in out


def test_the_file_shipper_goes_back_when_the_chain_changed_under_its_cursor(tmp_path):
    for i in range(6):
        with transaction.atomic():
            store.insert(viewed(i))
    seal_pending()
    log = tmp_path / "audit.jsonl"
    assert FileShipper(log, settle=timedelta(0)).ship() == 6
    old_head = head()
    drop_triggers()
    cut = list(AuditSeal.objects.filter(seq__gt=old_head.seq - 3).values_list("event_pk", flat=True))
    with connection.cursor() as cursor:  # what restoring a backup holding seq 1..3 does to the store
        cursor.execute("DELETE FROM audit_auditseal WHERE seq > %s", [old_head.seq - 3])
        cursor.execute(f"DELETE FROM audit_auditevent WHERE id IN ({', '.join(map(str, cut))})")  # noqa: S608
    fresh = []
    for i in range(2):  # stored after the restore
        with transaction.atomic():
            record = viewed(100 + i)
            store.insert(record)
        fresh.append(record["event_id"])
    assert seal_pending().count == 2 and head().seq < old_head.seq  # seqs the cursor had passed
    assert FileShipper(log, settle=timedelta(0)).ship() == 2
    ids = [json.loads(text)["event_id"] for text in log.read_text().splitlines()]
    assert ids[-2:] == fresh and len(ids) == len(set(ids)) == 8
    state = json.loads(Path(f"{log}.shipped").read_text())
    assert [state["seq"], state["hash"]] == [head().seq, head().hash]
