"""audit_verify with and without the outside witness, on PostgreSQL: what the signed checkpoints cost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_verify .venv/bin/python bench/verify_scale.py \\
        [--events 50000] [--batch 1000] [--lines 17280]

Creates (or reuses) the named database with `--events` synthetic events (bench/audit_scale.py's
loader), seals them with the app's own pass in batches of `--batch` with the witness on (one
signed checkpoint a pass, a key of the run's own), then times, rounds interleaved, verify()
alone and verify() against the signed checkpoints read from the witness file (as
`audit_verify --witness` does). Last it times reading and checking `--lines` signed lines
(17,280: a day of 5-second sealing passes), the part that grows with checkpoints, not events.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import boot

WORK = Path(tempfile.mkdtemp(prefix="verify-scale-"))
boot.setup(
    AUDIT_SINKS_ENABLED="0",
    AUDIT_WITNESS_KEY_FILE=str(WORK / "witness.pem"),
    AUDIT_WITNESS_FILE=str(WORK / "witness.jsonl"),
    AUDIT_CHECKPOINT_FILE="",
)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from audit import witness  # noqa: E402
from audit.chain import seal_pending  # noqa: E402
from audit.keys import mac_key  # noqa: E402
from audit.verification import verify  # noqa: E402
from bench.audit_scale import LOAD  # noqa: E402


def load(events: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        present = cursor.fetchone()[0]
        if present and present != events:
            sys.exit(f"the database holds {present:,} events, not {events:,}: name an empty one")
        if not present:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            cursor.execute(LOAD, {"n": events, "key": mac_key()})
            cursor.execute("ANALYZE audit_auditevent")


def seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=17_280)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "this benchmark is for PostgreSQL (set DATABASE_URL)"
    call_command("migrate", verbosity=0)
    load(args.events)
    key = witness.new_key_file(WORK / "witness.pem")
    public = key.public_key()
    passes = 0
    while seal_pending(batch=args.batch).count:
        passes += 1
    plain: list[float] = []
    witnessed: list[float] = []
    for _ in range(args.rounds):  # interleaved, so both see the same cache and load
        plain.append(seconds(lambda: verify()))
        found = witness.read(WORK / "witness.jsonl", public)
        witnessed.append(seconds(lambda: verify(witness.read(WORK / "witness.jsonl", public).checkpoints)))
    report = verify(found.checkpoints)
    assert not report.problems and found.signed == passes, (report.problems[:3], found.signed, passes)
    alone, checked = statistics.median(plain), statistics.median(witnessed)
    per_million = 1e6 / report.sealed
    print(f"{report.sealed:,} sealed events, {found.signed} signed checkpoints (one per pass of {args.batch})")
    print(f"verify():                     {alone:.2f} s  ({alone * per_million:.1f} s per million events)")
    print(f"verify() with the witness:    {checked:.2f} s  ({checked * per_million:.1f} s per million events)")
    print(f"ratio: {checked / alone:.3f} (median of {args.rounds} interleaved rounds)")
    day = WORK / "day.jsonl"
    stamp = "2026-11-01T00:00:00.000Z"
    day.write_text(
        "".join(f"{json.dumps(witness.sign(key, 'sealed', n, 'a' * 64, stamp))}\n" for n in range(args.lines))
    )
    reading = seconds(lambda: witness.read(day, public))
    line_us = reading / args.lines * 1e6
    print(f"reading and checking {args.lines:,} signed lines: {reading:.2f} s ({line_us:.0f} us a line)")
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
