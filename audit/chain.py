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
  (or, at its start, the last one in the local JSONL file) is not sealed over:
  `audit.chain_rewritten` is logged and this process stops sealing until an operator runs
  `manage.py audit_seal --restored` (after restoring a backup, the one honest cause).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit import event_types as E
from audit import turns
from audit.events import emit
from audit.keys import GENESIS, chain_key, mac_key, mac_ok, seal_hash
from audit.models import AuditEvent, AuditSeal
from audit.verification import last_checkpoint

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
        """Trust the last checkpoint of AUDIT_CHECKPOINT_FILE: the process starts knowing the head."""
        configured: str = settings.AUDIT_CHECKPOINT_FILE
        source = path or (Path(configured) if configured else None)
        return cls(checkpoint=last_checkpoint(source) if source is not None else None)


def seal_pending(batch: int = 5000, watch: ChainWatch | None = None) -> Sealed:
    """Seal committed events not sealed yet (at most `batch`), in one transaction."""
    watch = watch if watch is not None else ChainWatch()
    if watch.stopped:
        return Sealed(0, 0, "", watch.stopped)
    seals: list[AuditSeal] = []
    forged: list[tuple[int, str]] = []
    with transaction.atomic():
        if not turns.my_turn(turns.SEALING):
            return Sealed(0, 0, "")  # another process is sealing
        head = AuditSeal.objects.order_by("-seq").first()
        moved = _head_moved(head, watch.checkpoint)
        if moved:
            watch.stopped = moved
        else:
            seals, forged = _seal_after(head, batch, watch)
    if watch.stopped:
        _alarm_rewritten(watch.stopped, watch.checkpoint)
        return Sealed(0, 0, "", watch.stopped)
    for pk, event_id in forged:
        _alarm_forged(pk, event_id)
    if seals:
        watch.checkpoint = (seals[-1].seq, seals[-1].hash)
        _checkpoint(seals[-1], len(seals))
        return Sealed(len(seals), seals[-1].seq, seals[-1].hash)
    return Sealed(0, head.seq if head else 0, head.hash if head else GENESIS)


def _seal_after(head: AuditSeal | None, batch: int, watch: ChainWatch) -> tuple[list[AuditSeal], list[tuple[int, str]]]:
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    floor = head.event_pk - LATE_COMMIT_WINDOW if head else 0
    sealed_pks = AuditSeal.objects.filter(event_pk__gt=floor).values("event_pk")
    pending = (
        AuditEvent.objects.filter(pk__gt=floor)
        .exclude(pk__in=sealed_pks)
        .order_by("pk")
        .values_list("pk", "event_id", "data", "mac")[:batch]
    )
    key, macs, now = chain_key(), mac_key(), timezone.now()
    seals, forged = [], []
    for pk, event_id, data, mac in pending:
        if not mac_ok(data, mac, macs):
            if pk not in watch.alarmed:
                watch.alarmed.add(pk)
                forged.append((pk, event_id))
            continue
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
    if head is None or head.seq < seq:
        return f"the chain ends at seq {head.seq if head else 0}, before checkpoint seq {seq}"
    found = AuditSeal.objects.filter(seq=seq).values_list("hash", flat=True).first()
    if found != digest:
        return f"seq {seq} has hash {found}, not checkpoint {digest}"
    return ""


def accept_head() -> tuple[int, str]:
    """After restoring a backup: trust the chain's head as it is now, saying so in the trail."""
    head = AuditSeal.objects.order_by("-seq").first()
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS)
    emit(
        E.AUDIT_CHAIN_RESTORED,
        source="command",
        actor=None,
        details={"seq": seq, "head_hash": digest},
        message=f"chain head accepted after a restore: seq {seq} {digest[:12]}",
    )
    return seq, digest


def _checkpoint(head: AuditSeal, count: int) -> None:
    emit(
        E.AUDIT_SEALED,
        source="command",
        actor=None,
        details={"seq": head.seq, "head_hash": head.hash, "sealed": count},
        message=f"sealed {count} audit events; chain head {head.seq} {head.hash[:12]}",
    )


def _alarm_forged(pk: int, event_id: str) -> None:
    emit(
        E.AUDIT_FORGERY_DETECTED,
        outcome="failure",
        reason="event_mac_mismatch",
        source="command",
        actor=None,
        level=50,
        target={"type": "audit_event", "id": pk},
        details={"event_id": event_id},
        message=f"ALARM: stored event {pk} ({event_id}) has no valid MAC: inserted or edited in the database",
    )


def _alarm_rewritten(why: str, checkpoint: tuple[int, str] | None) -> None:
    seq, digest = checkpoint or (0, GENESIS)
    emit(
        E.AUDIT_CHAIN_REWRITTEN,
        outcome="failure",
        reason="chain_head_moved",
        source="command",
        actor=None,
        level=50,
        details={"checkpoint_seq": seq, "checkpoint_hash": digest, "found": why},
        message=f"ALARM: the audit chain was rewritten or cut ({why}); sealing stopped",
    )
