"""The cost of one audited save: MedCamp's trail beside django-auditlog and django-pghistory.

    make bench-venv     # once: .venv-bench with requirements-bench.txt (never the app's venv)
    .venv-bench/bin/python bench/audit_save.py [--n 2000]                   # SQLite (no pghistory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_bench .venv-bench/bin/python bench/audit_save.py

One model with the same fields tracked five ways; each update is its own transaction;
microseconds per save are the median of five rounds, and ratios are against the
untracked save of the same run. "ours" is simple-history's row plus the field-level
change event, built from the values as loaded and sent after commit (sinks off, then
with the JSONL file sink).
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
WORK = Path(tempfile.mkdtemp(prefix="medcamp-save-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.save_settings"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'save.sqlite3'}")
os.environ["AUDIT_LOG_FILE"] = str(WORK / "audit.jsonl")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from audit.formatters import AuditJsonFormatter  # noqa: E402
from bench.saveapp import models  # noqa: E402


def per_save(model: type, n: int) -> float:
    obj = model.objects.create(name="bench", quantity=0)
    obj = model.objects.get(pk=obj.pk)
    rounds = []
    counter = 0
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            counter += 1
            with transaction.atomic():
                obj.quantity = counter
                obj.save()
        rounds.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)  # the project's apps first: history rows point at users
    call_command("migrate", run_syncdb=True, verbosity=0)  # then the bench models
    if settings.POSTGRES:
        import pgtrigger

        pgtrigger.install()  # pghistory's triggers, now that their tables exist
    audit_logger = logging.getLogger("medcamp.audit")
    audit_logger.handlers = []
    file_sink = logging.FileHandler(WORK / "bench.jsonl", encoding="ascii")
    file_sink.setFormatter(AuditJsonFormatter())

    cases: list[tuple[str, type, Callable[[], None]]] = [
        ("untracked", models.Plain, lambda: None),
        ("simple-history alone", models.HistoryOnly, lambda: None),
        ("ours (history + event, no sink)", models.Ours, lambda: None),
        ("ours (history + event, file sink)", models.Ours, lambda: audit_logger.addHandler(file_sink)),
        ("django-auditlog", models.WithAuditlog, lambda: audit_logger.removeHandler(file_sink)),
    ]
    if settings.POSTGRES:
        cases.append(("django-pghistory (triggers)", models.WithPghistory, lambda: None))
    print(f"database: {connection.vendor}; {args.n} updates per round, one transaction each, median of 5 rounds")
    results = {}
    for name, model, setup in cases:
        setup()
        results[name] = per_save(model, args.n)
    base = results["untracked"]
    for name, micros in results.items():
        print(f"  {name:<36} {micros:8.1f} us  {micros / base:5.2f}x")
    ours = results["ours (history + event, no sink)"]
    print(f"  ours / simple-history alone:         {ours / results['simple-history alone']:.2f}x (aim: <= 1.15)")
    print(f"  ours / django-auditlog:              {ours / results['django-auditlog']:.2f}x (target: <= 1.00)")


if __name__ == "__main__":
    main()
