"""The store feeds the sinks: what a crash or a full disk kept from the file or LogBull reaches them, once."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction

from audit import event_types as E
from audit import store
from audit.chain import seal_pending
from audit.events import build_event
from audit.models import AuditEvent, ShipCursor
from audit.shipper import FileShipper, LogBullShipper
from tests.audit.logbull_kit import make_handler
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
NOW = timedelta(0)  # ship seals at once (the default leaves the last 2 s to the writes on commit)


def stored_only(count: int) -> list[str]:
    """Events committed to the store whose process died before any sink heard of them."""
    ids = []
    for i in range(count):
        record = build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": i}, source="command", actor=None)
        with transaction.atomic():
            store.insert(record)
        ids.append(record["event_id"])
    return ids


def ids_in(path: Path) -> Counter[str]:
    return Counter(json.loads(line)["event_id"] for line in path.read_text().splitlines())


def test_the_file_gets_what_it_missed_once_and_keeps_what_it_had(tmp_path, settings):
    settings.AUDIT_SHIP = True
    log = tmp_path / "audit.jsonl"
    written = build_event(E.PATIENT_VIEWED, target={"type": "patient", "id": 99}, source="command", actor=None)
    with transaction.atomic():
        store.insert(written)
    log.write_text(json.dumps(written) + "\n")  # this one reached the file on commit
    missed = stored_only(5)
    seal_pending()
    shipper = FileShipper(log, settle=NOW)
    assert shipper.ship() == 5
    counts = ids_in(log)
    assert counts[written["event_id"]] == 1 and all(counts[i] == 1 for i in missed)
    assert shipper.ship() == 0 and FileShipper(log, settle=NOW).ship() == 0  # a restarted process reads the cursor
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["event_id"] for e in lines[1:]] == missed  # in seal order


def test_a_seal_younger_than_the_settle_time_is_left_to_the_write_on_commit(tmp_path):
    log = tmp_path / "audit.jsonl"
    missed = stored_only(2)
    seal_pending()
    assert FileShipper(log).ship() == 0  # sealed just now: its process may be writing it
    assert FileShipper(log, settle=NOW).ship() == 2 and set(ids_in(log)) == set(missed)


def test_a_file_that_refuses_writes_gets_them_when_it_takes_writes_again(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    missed = stored_only(3)
    seal_pending()
    shipper = FileShipper(log, settle=NOW)
    real_open = open

    def disk_full(path, mode="r", *args, **kwargs):
        if str(path) == str(log) and "a" in mode:
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", disk_full)
    assert shipper.ship() == 0
    monkeypatch.undo()
    assert shipper.ship() == 3 and set(ids_in(log)) >= set(missed)


def test_a_rotated_file_is_read_at_start(tmp_path):
    log = tmp_path / "audit.jsonl"
    earlier = stored_only(2)
    seal_pending()
    (tmp_path / "audit.jsonl.1").write_text(
        "".join(json.dumps({"event_id": i, "event": "patient.viewed"}) + "\n" for i in earlier)
    )
    assert FileShipper(log, settle=NOW).ship() == 0  # the rotated copy holds them already


def test_logbull_gets_the_store_in_seal_order_and_the_cursor_moves_only_on_202(fake, tmp_path, settings):
    settings.AUDIT_SHIP = True
    handler = make_handler(fake, tmp_path / "spool")
    logger = logging.getLogger("medcamp.audit")
    logger.addHandler(handler)
    try:
        PatientFactory()  # stored: the handler leaves it to the shipper
        handler.flush()
        assert fake.items == []
        missed = stored_only(3)
        seal_pending()
        shipper = LogBullShipper(handler)
        fake.set_mode("500")
        assert shipper.ship() == 0 and ShipCursor.objects.get(sink="logbull").seq == 0
        fake.set_mode("ok")
        shipper.exchange.next_attempt = 0.0  # the backoff is over
        total = AuditEvent.objects.count()  # every stored event is sealed by now
        assert shipper.ship() == total
        received = fake.event_ids()
        assert Counter(received).most_common(1)[0][1] == 1 and set(missed) <= set(received)
        assert shipper.ship() == 0
    finally:
        logger.removeHandler(handler)
        handler.close()
