"""Verifying the event store (manage.py audit_verify): the chain, each event's MAC, each row's columns.

One pass over the seals in order, with their events, finds:
- a seal missing (a gap in seq), a seal out of place (its prev_hash is not the previous
  hash), an event missing or swapped, an event whose JSON was edited (its hash);
- an event whose MAC does not verify (written by someone without the key);
- a column that disagrees with the sealed JSON it is derived from (an auditor's list,
  filters and trail read the columns), named with its seq and column.
Then every event not sealed: one whose MAC does not verify is named (a forgery the sealer
refused), and so is one below the late-commit window (no sealing pass will ever look at
it: back-dated); the rest are pending. A row whose event id another row holds too is a
replay. With checkpoints (audit.checkpoints finds them), each must agree with the chain,
a chain shorter than a checkpoint is truncated, and two checkpoints of one seq with
different hashes mean the chain was rewritten in between.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from audit import event_types as E
from audit import store
from audit.chain import LATE_COMMIT_WINDOW, ids_issued
from audit.checkpoints import checkpoint_of, trusted
from audit.guards import missing as guards_missing
from audit.keys import GENESIS, chain_key, mac_key, mac_ok, seal_hash
from audit.models import AuditEvent

Checkpoint = tuple[int, str]


@dataclass
class Report:
    events: int = 0
    sealed: int = 0
    unsigned: int = 0  # sealed before events carried a MAC
    unsealed: int = 0  # events without a seal that are not failures: the sealer will seal them
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return self.unsealed

    def summary(self) -> str:
        unsigned = f", sealed before event MACs {self.unsigned}" if self.unsigned else ""
        return (
            f"events {self.events}, sealed {self.sealed}, pending {self.pending}{unsigned}, "
            f"head seq {self.head_seq} hash {self.head_hash}"
        )


EVENT_COLUMNS = ", ".join(f"e.{name}" for name in ("id", *store.COLUMNS))
_CHAIN = f"""
    SELECT s.seq, s.event_id, s.prev_hash, s.hash, s.event_pk, {EVENT_COLUMNS}
    FROM audit_auditseal s LEFT JOIN audit_auditevent e ON e.id = s.event_pk
    ORDER BY s.seq
"""  # noqa: S608 (column names are constants)
_UNSEALED = f"""
    SELECT {EVENT_COLUMNS} FROM audit_auditevent e
    WHERE NOT EXISTS (SELECT 1 FROM audit_auditseal s WHERE s.event_pk = e.id)
    ORDER BY e.id
"""  # noqa: S608
# One event, one row: an event id held by two rows is a replayed or copied row.
_REPLAYS = """
    SELECT event_id, COUNT(*) FROM audit_auditevent GROUP BY event_id HAVING COUNT(*) > 1 ORDER BY event_id
"""


def _rows(sql: str) -> Iterator[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(5000):
            yield from rows


def verify(checkpoints: Iterable[Checkpoint] = ()) -> Report:
    """Recompute the chain and check every event; every problem found is one line of the report."""
    report, key, macs = Report(), chain_key(), mac_key()
    expected, prev, head_pk = 1, GENESIS, 0
    hashes: dict[int, str] = {}
    for seq, sealed_id, prev_hash, digest, event_pk, *event in _rows(_CHAIN):
        head_pk = event_pk
        row = dict(zip(("id", *store.COLUMNS), event, strict=True))
        report.problems += check_seal(seq, expected, prev, sealed_id, prev_hash, digest, row, key)
        if row["data"] is not None and row["event_id"] == sealed_id:
            if row["mac"]:
                report.problems += check_mac(f"seq {seq}", row, macs)
            else:
                report.unsigned += 1
            report.problems += _check_columns(f"seq {seq}", row)
        hashes[seq] = digest
        expected, prev = seq + 1, digest
        report.sealed, report.head_seq, report.head_hash = report.sealed + 1, seq, digest
    replays = dict(_rows(_REPLAYS))
    waiting: list[int] = []
    for values in _rows(_UNSEALED):
        row = dict(zip(("id", *store.COLUMNS), values, strict=True))
        where = f"unsealed event {row['id']} ({row['event_id']})"
        found = check_mac(where, row, macs) + _check_columns(where, row)
        if not found and report.sealed and row["id"] <= head_pk - LATE_COMMIT_WINDOW:
            found.append(never_sealed(where, head_pk))
        report.problems += found
        report.unsealed += not found and row["event_id"] not in replays
        if not found:
            waiting.append(row["id"])
    issued = ids_issued()  # read after the rows: every id the database gave them is at or below it
    report.problems += [
        f"unsealed event {pk}: its id was never issued by the database's sequence (inserted by hand)"
        for pk in waiting
        if issued is not None and pk > issued
    ]
    report.problems += [
        f"event {event_id} is stored {n} times: a replayed or copied row" for event_id, n in replays.items()
    ]
    report.problems += [f"the database's guard is down: {problem}" for problem in guards_missing(connection)]
    report.events = AuditEvent.objects.count()
    report.problems += _check_checkpoints(list(checkpoints), hashes, report.head_seq)
    return report


def check_seal(
    seq: int, expected: int, prev: str, sealed_id: str, prev_hash: str, digest: str, row: dict[str, Any], key: bytes
) -> list[str]:
    problems = []
    if seq != expected:
        problems.append(f"seq {expected}..{seq - 1}: seals missing (deleted)")
    elif prev_hash != prev:
        problems.append(f"seq {seq}: its previous hash is not the hash of seq {seq - 1} (chain reordered)")
    if row["data"] is None:
        problems.append(f"seq {seq}: event {sealed_id} is missing (deleted)")
    elif row["event_id"] != sealed_id:
        problems.append(f"seq {seq}: sealed event {sealed_id} but the row holds event {row['event_id']} (reordered)")
    elif seal_hash(key, prev_hash, row["data"]) != digest:
        problems.append(f"seq {seq}: event {sealed_id} was edited (its hash does not match)")
    return problems


def never_sealed(where: str, head_pk: int) -> str:
    return (
        f"{where}: never sealed: below the late-commit window (the newest sealed event is {head_pk}, "
        f"window {LATE_COMMIT_WINDOW}): inserted back-dated, or sealing skipped it"
    )


def check_mac(where: str, row: dict[str, Any], macs: bytes) -> list[str]:
    if mac_ok(row["data"], row["mac"], macs):
        return []
    return [f"{where}: its MAC does not verify (written or edited without the key: forged)"]


def _check_columns(where: str, row: dict[str, Any]) -> list[str]:
    try:
        found = store.disagreements(row, row["data"])
    except ValueError:
        return [f"{where}: its JSON is not an audit event"]
    return [
        f"{where}: column {name} is {stored!r} but the sealed event says {sealed!r}" for name, stored, sealed in found
    ]


def _check_checkpoints(checkpoints: list[Checkpoint], hashes: dict[int, str], head: int) -> list[str]:
    problems: list[str] = []
    first: dict[int, str] = {}
    for seq, digest in checkpoints:
        if seq in first and first[seq] != digest:
            problems.append(
                f"seq {seq}: two checkpoints disagree ({first[seq]} then {digest}): the chain was rewritten between"
            )
            continue
        first.setdefault(seq, digest)
    for seq, digest in sorted(first.items()):
        if seq > head:
            problems.append(f"seq {seq}: a checkpoint names it but the chain ends at {head} (truncated)")
        elif seq in hashes and hashes[seq] != digest:
            problems.append(f"seq {seq}: chain hash {hashes[seq]} disagrees with checkpoint {digest} (rewritten)")
    return problems


def checkpoints_from(lines: Iterable[str]) -> list[Checkpoint]:
    """Every `audit.sealed` checkpoint of a JSONL file, in the order written: (seq, head hash)."""
    found: list[Checkpoint] = []
    for line in lines:
        if E.AUDIT_SEALED.name not in line:
            continue
        try:
            checkpoint = checkpoint_of(json.loads(line))
        except ValueError:
            continue
        if checkpoint is not None:
            found.append(checkpoint)
    return found


def read_checkpoints(path: Path) -> list[Checkpoint]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return checkpoints_from(lines)


def last_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint written last in a JSONL file (or, without one, its newest rotated copy), or None.

    The last written, not the highest: after a restore it is `audit.chain_restored`'s head."""
    return trusted(path)
