"""Sealing the event store into a hash chain (manage.py audit_seal, and each serving process).

Each seal takes the next sequence number and `hash = HMAC-SHA256(key, prev_hash + data)`,
where `data` is the event's stored canonical JSON and the first `prev_hash` is 64 zeros
(audit.keys). Each pass that seals something logs an `audit.sealed` checkpoint (sequence
number and head hash) to the file and LogBull sinks, not to the store: a copy of the head
that lives elsewhere. Verifying is audit.verification.

A pass refuses what the database alone could have made:
- an event whose MAC does not verify (a row inserted or edited by hand) is not sealed, and
  `audit.forgery_detected` is logged once per row and process;
- a chain whose head went back or changed since the last checkpoint this process wrote
  (or, at its start, the one written last in the local JSONL file: after a restore, the
  restored head; audit.checkpoints) is not sealed over:
  `audit.chain_rewritten` is logged and this process stops sealing until an operator runs
  `manage.py audit_seal --restored` (after restoring a backup, the one honest cause).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from audit import clock, turns, witness
from audit import event_types as E
from audit.checkpoints import trusted
from audit.events import alarm, emit
from audit.keys import GENESIS, chain_key, mac_key, mac_ok, seal_hash
from audit.models import AuditEvent, AuditSeal

__all__ = ["GENESIS", "ChainWatch", "Sealed", "chain_key", "seal_hash", "seal_pending"]

# Events are sealed in id order; one whose transaction commits after later ids were sealed
# is still found while its id is within this many of the last sealed one.
LATE_COMMIT_WINDOW = 10_000


@dataclass(frozen=True)
class Sealed:
    count: int
    head_seq: int
    head_hash: str
    refused: str = ""  # why nothing was sealed, when the chain was not trusted


@dataclass
class ChainWatch:
    """What one sealing process remembers: the last checkpoint it trusts, and the forgeries it reported."""

    checkpoint: tuple[int, str] | None = None
    stopped: str = ""
    alarmed: set[int] = field(default_factory=set)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ChainWatch:
        """Trust the checkpoint written last to AUDIT_CHECKPOINT_FILE, not the highest: the process starts
        knowing the head (after a restore, the restored one)."""
        configured: str = settings.AUDIT_CHECKPOINT_FILE
        source = path or (Path(configured) if configured else None)
        return cls(checkpoint=trusted(source) if source is not None else None)


def seal_pending(batch: int = 5000, watch: ChainWatch | None = None) -> Sealed:
    """Seal committed events not sealed yet (at most `batch`), in one transaction."""
    watch = watch if watch is not None else ChainWatch()
    if watch.stopped:
        return Sealed(0, 0, "", watch.stopped)
    seals: list[AuditSeal] = []
    forged: list[tuple[int, str, str]] = []
    with transaction.atomic():
        if not turns.my_turn(turns.SEALING):
            return Sealed(0, 0, "")  # another process is sealing
        head = AuditSeal.objects.order_by("-seq").first()
        moved = _head_moved(head, watch.checkpoint) or _unverified_tail(head, watch.checkpoint)
        if moved:
            watch.stopped = moved
        else:
            if head is not None:
                watch.checkpoint = (head.seq, head.hash)  # verified: the next pass checks only what is newer
            seals, forged = _seal_after(head, batch, watch)
    if watch.stopped:
        _alarm_rewritten(watch.stopped, watch.checkpoint)
        return Sealed(0, 0, "", watch.stopped)
    for pk, event_id, why in forged:
        (_alarm_replayed if why == "replay" else _alarm_forged)(pk, event_id, why)
    if seals:
        watch.checkpoint = (seals[-1].seq, seals[-1].hash)
        _checkpoint(seals[-1], len(seals))
        return Sealed(len(seals), seals[-1].seq, seals[-1].hash)
    return Sealed(0, head.seq if head else 0, head.hash if head else GENESIS)


def _seal_after(
    head: AuditSeal | None, batch: int, watch: ChainWatch
) -> tuple[list[AuditSeal], list[tuple[int, str, str]]]:
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    floor = head.event_pk - LATE_COMMIT_WINDOW if head else 0
    sealed_pks = AuditSeal.objects.filter(event_pk__gt=floor).values("event_pk")
    pending = (
        AuditEvent.objects.filter(pk__gt=floor)
        .exclude(pk__in=sealed_pks)
        .order_by("pk")
        .values_list("pk", "event_id", "data", "mac")[:batch]
    )
    key, macs, now = chain_key(), mac_key(), clock.now()  # the trail's time: servers' seals stay in order
    rows = list(pending)
    # One event, one row: an id already sealed (or twice in this batch) is a copied row that
    # slipped past the store's unique index (dropped by an owner); it is never sealed.
    taken = set(AuditSeal.objects.filter(event_id__in=[r[1] for r in rows]).values_list("event_id", flat=True))
    issued = ids_issued()  # read after the rows: every id the database gave them is at or below it
    seals, forged = [], []
    for pk, event_id, data, mac in rows:
        why = "replay" if event_id in taken else "" if mac_ok(data, mac, macs) else "forgery"
        if not why and issued is not None and pk > issued:
            why = "id"  # an id the database's sequence never gave: inserted by hand, to push the window
        if why:
            if pk not in watch.alarmed:
                watch.alarmed.add(pk)
                forged.append((pk, event_id, why))
            continue
        taken.add(event_id)
        digest = seal_hash(key, prev, data)
        seq += 1
        seals.append(AuditSeal(seq=seq, event_pk=pk, event_id=event_id, prev_hash=prev, hash=digest, sealed_at=now))
        prev = digest
    AuditSeal.objects.bulk_create(seals)
    return seals, forged


def _head_moved(head: AuditSeal | None, checkpoint: tuple[int, str] | None) -> str:
    """Why the chain cannot be sealed onto, or "" when it still holds the trusted checkpoint."""
    if checkpoint is None:
        return ""
    seq, digest = checkpoint
    head_seq = head.seq if head is not None else 0
    if head_seq < seq:
        return f"the chain ends at seq {head_seq}, before checkpoint seq {seq}"
    found = GENESIS if seq == 0 else AuditSeal.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if found != digest:
        return f"seq {seq} has hash {found}, not checkpoint {digest}"
    return ""


def _unverified_tail(head: AuditSeal | None, checkpoint: tuple[int, str] | None) -> str:
    """Why a seal this process did not write cannot be built on, or "" when each one after the trusted
    checkpoint (without one: the head) recomputes with the key. The database checks that a seal
    extends the chain (audit.append_only) but cannot check its HMAC; a seal inserted by hand fails here."""
    if head is None:
        return ""
    after = checkpoint[0] if checkpoint is not None else head.seq - 1
    tail = (
        AuditSeal.objects.filter(seq__gt=after)
        .order_by("seq")
        .values_list("seq", "event_pk", "event_id", "prev_hash", "hash")
    )
    events = dict(AuditEvent.objects.filter(pk__in=[pk for _, pk, *_ in tail]).values_list("pk", "data"))
    key, prev = chain_key(), checkpoint[1] if checkpoint is not None else None
    for seq, event_pk, event_id, prev_hash, digest in tail:
        data = events.get(event_pk)
        if (prev is not None and prev_hash != prev) or data is None or seal_hash(key, prev_hash, data) != digest:
            return f"seal seq {seq} (event {event_id}) does not verify with the key: written in the database"
        prev = digest
    return ""


def accept_head() -> tuple[int, str]:
    """After restoring a backup: trust the chain's head as it is now, saying so in the trail and to the witness.

    `audit.chain_restored` is a checkpoint too: a server started later trusts it (the last
    written), and audit_verify sets apart the checkpoints above it written before it."""
    head = AuditSeal.objects.order_by("-seq").first()
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS)
    emit(
        E.AUDIT_CHAIN_RESTORED,
        source="command",
        actor=None,
        details={"seq": seq, "head_hash": digest},
        message=f"chain head accepted after a restore: seq {seq} {digest[:12]}",
    )
    witness.publish(seq, digest, kind="restored")
    return seq, digest


def _checkpoint(head: AuditSeal, count: int) -> None:
    emit(
        E.AUDIT_SEALED,
        source="command",
        actor=None,
        details={"seq": head.seq, "head_hash": head.hash, "sealed": count},
        message=f"sealed {count} audit events; chain head {head.seq} {head.hash[:12]}",
    )
    witness.publish(head.seq, head.hash)  # signed with a key outside the database, when configured


def _alarm_forged(pk: int, event_id: str, why: str = "forgery") -> None:
    if why == "id":
        reason, what = "event_id_not_issued", "has an id the database never issued"
    else:
        reason, what = "event_mac_mismatch", "has no valid MAC"
    alarm(
        E.AUDIT_FORGERY_DETECTED,
        reason,
        f"stored event {pk} ({event_id}) {what}: inserted or edited in the database",
        target={"type": "audit_event", "id": pk},
        details={"event_id": event_id},
    )


def ids_issued() -> int | None:
    """On PostgreSQL the last id the store's sequence handed out (None elsewhere: SQLite numbers past
    the highest id, so an id inserted by hand cannot leave later events below the window)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence('audit_auditevent', 'id'))")
        (issued,) = cursor.fetchone()
    return int(issued or 0)


def _alarm_replayed(pk: int, event_id: str, why: str = "replay") -> None:
    alarm(
        E.AUDIT_REPLAY_DETECTED,
        "event_id_repeated",
        f"stored event {pk} repeats event id {event_id}: a replayed or copied row; not sealed",
        target={"type": "audit_event", "id": pk},
        details={"event_id": event_id},
    )


def _alarm_rewritten(why: str, checkpoint: tuple[int, str] | None) -> None:
    seq, digest = checkpoint or (0, GENESIS)
    alarm(
        E.AUDIT_CHAIN_REWRITTEN,
        "chain_head_moved",
        f"the audit chain was rewritten or cut ({why}); sealing stopped",
        details={"checkpoint_seq": seq, "checkpoint_hash": digest, "found": why},
    )
