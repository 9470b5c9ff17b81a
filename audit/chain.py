"""Sealing the event store into a hash chain, and verifying it (manage.py audit_seal, audit_verify).

Each seal takes the next sequence number and `hash = HMAC-SHA256(key, prev_hash + data)`,
where `data` is the event's stored canonical JSON and the first `prev_hash` is 64 zeros.
The key is AUDIT_CHAIN_KEY, or derived from SECRET_KEY when that is unset, so recomputing
a chain after an edit needs the key as well as database access. Each pass that seals
something logs an `audit.sealed` checkpoint (sequence number and head hash) to the file
and LogBull sinks, not to the store: a copy of the head that lives elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import event_types as E
from audit.events import emit
from audit.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
# Events are sealed in id order; one whose transaction commits after later ids were sealed
# is still found while its id is within this many of the last sealed one.
LATE_COMMIT_WINDOW = 10_000
LOCK_ID = 0x4D454443  # "MEDC": the PostgreSQL advisory lock one sealer holds at a time


def chain_key() -> bytes:
    configured: str = settings.AUDIT_CHAIN_KEY
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"medcamp audit chain", hashlib.sha256).digest()


def seal_hash(key: bytes, prev_hash: str, data: str) -> str:
    return hmac.new(key, (prev_hash + data).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sealed:
    count: int
    head_seq: int
    head_hash: str


def seal_pending(batch: int = 5000) -> Sealed:
    """Seal committed events not sealed yet (at most `batch`), in one transaction."""
    with transaction.atomic():
        if not _lock():
            return Sealed(0, 0, "")  # another process is sealing
        head = AuditSeal.objects.order_by("-seq").first()
        seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
        floor = head.event_pk - LATE_COMMIT_WINDOW if head else 0
        sealed_pks = AuditSeal.objects.filter(event_pk__gt=floor).values("event_pk")
        pending = (
            AuditEvent.objects.filter(pk__gt=floor)
            .exclude(pk__in=sealed_pks)
            .order_by("pk")
            .values_list("pk", "event_id", "data")[:batch]
        )
        key, now, seals = chain_key(), timezone.now(), []
        for pk, event_id, data in pending:
            digest = seal_hash(key, prev, data)
            seq += 1
            seals.append(AuditSeal(seq=seq, event_pk=pk, event_id=event_id, prev_hash=prev, hash=digest, sealed_at=now))
            prev = digest
        AuditSeal.objects.bulk_create(seals)
    if seals:
        _checkpoint(seals[-1], len(seals))
    return Sealed(len(seals), seq, prev)


def _lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: the transaction holds the database's one write lock (IMMEDIATE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_ID])
        return bool(cursor.fetchone()[0])


def _checkpoint(head: AuditSeal, count: int) -> None:
    emit(
        E.AUDIT_SEALED,
        source="command",
        actor=None,
        details={"seq": head.seq, "head_hash": head.hash, "sealed": count},
        message=f"sealed {count} audit events; chain head {head.seq} {head.hash[:12]}",
    )


# --- verifying ------------------------------------------------------------------------------
@dataclass
class Report:
    events: int = 0
    sealed: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return max(0, self.events - self.sealed)

    def summary(self) -> str:
        return (
            f"events {self.events}, sealed {self.sealed}, pending {self.pending}, "
            f"head seq {self.head_seq} hash {self.head_hash}"
        )


_CHAIN = """
    SELECT s.seq, s.event_id, s.prev_hash, s.hash, e.event_id, e.data
    FROM audit_auditseal s LEFT JOIN audit_auditevent e ON e.id = s.event_pk
    ORDER BY s.seq
"""


def _rows() -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(_CHAIN)
        while rows := cursor.fetchmany(5000):
            yield from rows


def verify(checkpoints: dict[int, str] | None = None) -> Report:
    """Recompute the chain; every problem found is one line of the report."""
    report, key, checkpoints = Report(), chain_key(), checkpoints or {}
    expected, prev = 1, GENESIS
    for seq, sealed_id, prev_hash, digest, event_id, data in _rows():
        report.problems += _check(seq, expected, prev, sealed_id, prev_hash, digest, event_id, data, key)
        if seq in checkpoints and checkpoints[seq] != digest:
            written = checkpoints[seq]
            report.problems.append(f"seq {seq}: chain hash {digest} disagrees with checkpoint {written} (rewritten)")
        expected, prev = seq + 1, digest
        report.sealed, report.head_seq, report.head_hash = report.sealed + 1, seq, digest
    for seq in sorted(s for s in checkpoints if s > report.head_seq):
        report.problems.append(f"seq {seq}: a checkpoint names it but the chain ends at {report.head_seq} (truncated)")
    report.events = AuditEvent.objects.count()
    return report


def _check(
    seq: int,
    expected: int,
    prev: str,
    sealed_id: str,
    prev_hash: str,
    digest: str,
    event_id: str | None,
    data: str | None,
    key: bytes,
) -> list[str]:
    problems = []
    if seq != expected:
        problems.append(f"seq {expected}..{seq - 1}: seals missing (deleted)")
    elif prev_hash != prev:
        problems.append(f"seq {seq}: its previous hash is not the hash of seq {seq - 1} (chain reordered)")
    if data is None:
        problems.append(f"seq {seq}: event {sealed_id} is missing (deleted)")
    elif event_id != sealed_id:
        problems.append(f"seq {seq}: sealed event {sealed_id} but the row holds event {event_id} (reordered)")
    elif seal_hash(key, prev_hash, data) != digest:
        problems.append(f"seq {seq}: event {sealed_id} was edited (its hash does not match)")
    return problems


def checkpoints_from(lines: Iterable[str]) -> dict[int, str]:
    """`audit.sealed` checkpoints of a JSONL file: sequence number -> head hash."""
    found: dict[int, str] = {}
    for line in lines:
        if E.AUDIT_SEALED.name not in line:
            continue
        try:
            details = json.loads(line).get("details") or {}
            found[int(details["seq"])] = str(details["head_hash"])
        except (ValueError, KeyError, TypeError):
            continue
    return found


def read_checkpoints(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return checkpoints_from(lines)
