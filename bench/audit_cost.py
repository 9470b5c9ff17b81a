"""Cost of one audited save and of one event emit with each sink.

    .venv/bin/python bench/audit_cost.py [--n 2000]            # SQLite in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_bench .venv/bin/python bench/audit_cost.py

Everything runs in this process against loopback only (a fake LogBull on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="medcamp-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ["MEDCAMP_TESTING"] = "1"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ["AUDIT_LOG_FILE"] = str(WORK / "audit.jsonl")
os.environ["AUDIT_CONSOLE"] = "off"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from audit import event_types as E  # noqa: E402
from audit.events import emit  # noqa: E402
from audit.formatters import AuditJsonFormatter  # noqa: E402
from audit.logbull import LogBullHandler  # noqa: E402
from tests.fake_logbull import PROJECT_ID, FakeLogBull  # noqa: E402


def timed(fn: Callable[[int], None], n: int) -> float:
    """Median of 5 rounds, microseconds per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    n = args.n
    call_command("migrate", verbosity=0)
    from accounts.models import User

    user = User.objects.create(username="bench_user", first_name="A")
    audit_logger = logging.getLogger("medcamp.audit")
    saved_handlers = list(audit_logger.handlers)

    def use(*handlers: logging.Handler) -> None:
        audit_logger.handlers = list(handlers)

    def save_plain(i: int) -> None:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(first_name=f"n{i}")

    obj = User.objects.get(pk=user.pk)

    def save_audited(i: int) -> None:
        with transaction.atomic():
            obj.first_name = f"a{i}"
            obj.save()

    print(f"database: {connection.vendor}; n={n} per round, median of 5 rounds")
    use()
    plain = timed(save_plain, n)
    audited_no_sink = timed(save_audited, n)
    file_handler = logging.FileHandler(WORK / "bench.jsonl", encoding="ascii")
    file_handler.setFormatter(AuditJsonFormatter())
    use(file_handler)
    audited_file = timed(save_audited, n)
    print(f"save, untracked UPDATE:                 {plain:8.1f} us")
    print(f"save, history + change event, no sink:  {audited_no_sink:8.1f} us  ({audited_no_sink / plain:.2f}x)")
    print(f"save, history + change event, file:     {audited_file:8.1f} us  ({audited_file / plain:.2f}x)")

    def one_emit(i: int) -> None:
        emit(E.PATIENT_VIEWED, target={"type": "patient", "id": i}, details={"i": i})

    use()
    base = timed(one_emit, n)
    results = {"no sink (build only)": base}
    use(file_handler)
    results["file (JSONL)"] = timed(one_emit, n)
    console = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    console.setFormatter(AuditJsonFormatter())
    use(console)
    results["console (JSON)"] = timed(one_emit, n)
    fake = FakeLogBull().start()
    logbull = LogBullHandler(fake.url, PROJECT_ID, spool_dir=str(WORK / "spool"), flush_interval=0.05)
    use(logbull)
    results["LogBull answering"] = timed(one_emit, n)
    logbull.flush()
    fake.set_mode("hang")
    results["LogBull hanging"] = timed(one_emit, n)
    use(file_handler, console, logbull)
    results["all three (LogBull hanging)"] = timed(one_emit, n)
    fake.set_mode("ok")
    for name, micros in results.items():
        print(f"emit, {name:28s} {micros:8.1f} us")
    print(f"LogBull counters: {logbull.stats()}")
    logbull.close()
    fake.stop()
    use(*saved_handlers)


if __name__ == "__main__":
    main()
