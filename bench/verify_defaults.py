"""`manage.py audit_verify` with no arguments, per million events: the chain, every MAC and column,
the unsealed and replay checks, and every checkpoint it finds (the JSONL file, a rotated gzipped
copy, the witness file), on SQLite or PostgreSQL.

    .venv/bin/python bench/verify_defaults.py [--events 150000] [--batch 5000] [--rounds 3]     # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_verify_defaults .venv/bin/python bench/verify_defaults.py

Stores `--events` events as the app does (audit.events.build_event, audit.store's columns and
MAC) into a fresh database (PostgreSQL: an empty one, named by DATABASE_URL), seals them with
the app's own pass (one `audit.sealed` checkpoint and one signed witness line a pass of
`--batch`), moves the older half of the checkpoints into `audit.jsonl.1.gz` as logrotate would,
then times the command (median of `--rounds`) and reports seconds per million events.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import boot

WORK = Path(tempfile.mkdtemp(prefix="verify-defaults-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'verify.sqlite3'}")
boot.setup(
    AUDIT_LOG_FILE=str(WORK / "audit.jsonl"),
    AUDIT_CHECKPOINT_FILE=str(WORK / "audit.jsonl"),
    AUDIT_WITNESS_KEY_FILE=str(WORK / "witness.pem"),
    AUDIT_WITNESS_FILE=str(WORK / "witness.jsonl"),
    AUDIT_SEAL_INTERVAL="0",
    AUDIT_SHIP="0",
)

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from audit import event_types as E  # noqa: E402
from audit import store, witness  # noqa: E402
from audit.chain import seal_pending  # noqa: E402
from audit.events import build_event  # noqa: E402

KINDS = (E.PATIENT_VIEWED, E.PATIENT_STATUS_VIEWED)


def load(events: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM audit_auditevent")
        if cursor.fetchone()[0]:
            sys.exit("the database already holds events: name an empty one")
        for start in range(0, events, 10_000):
            rows = []
            for n in range(start, min(events, start + 10_000)):
                record = build_event(
                    KINDS[n % 2], target={"type": "patient", "id": n % 200_000}, source="command", actor=None
                )
                rows.append(store._values(record))
            with transaction.atomic():
                cursor.executemany(store._INSERT, rows)


def rotate(log: Path) -> None:
    """The older half of the checkpoints to `audit.jsonl.1.gz` (logrotate's `compress`), the rest stays."""
    lines = log.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    with gzip.open(log.with_name(log.name + ".1.gz"), "wt") as old:
        old.writelines(lines[:half])
    log.write_text("".join(lines[half:]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=150_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    witness.new_key_file(WORK / "witness.pem")
    started = time.perf_counter()
    load(args.events)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    while seal_pending(batch=args.batch).count:
        pass
    sealing = time.perf_counter() - started
    rotate(WORK / "audit.jsonl")
    times, out = [], io.StringIO()
    for _ in range(args.rounds):
        out = io.StringIO()
        started = time.perf_counter()
        call_command("audit_verify", stdout=out)
        times.append(time.perf_counter() - started)
    text = out.getvalue()
    assert text.startswith("audit trail intact") and "witness" in text and ".1.gz" in text, text
    took = statistics.median(times)
    per_million = 1e6 / args.events
    print(f"{connection.vendor}: {args.events:,} events; loaded in {loaded:.1f} s, sealed in {sealing:.1f} s")
    print(text.strip())
    print(
        f"audit_verify (no arguments): {took:.2f} s, {took * per_million:.1f} s per million events "
        f"(median of {args.rounds})"
    )
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
