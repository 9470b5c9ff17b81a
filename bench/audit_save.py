"""The cost of one audited save: MedCamp's trail beside django-auditlog and django-pghistory.

    make bench-venv     # once: .venv-bench with requirements-bench.txt (never the app's venv)
    .venv-bench/bin/python bench/audit_save.py [--n 2000]                   # SQLite (no pghistory)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_bench .venv-bench/bin/python bench/audit_save.py

One model with the same fields tracked several ways; each update is its own transaction.
The cases run interleaved within each round (these machines drift more between runs
than the audit layer costs), and each case's figure is its median over the rounds;
ratios are within this one run. "ours" is simple-history's row plus the field-level
change event built from the values as loaded, with the event store's row in the same
transaction ("+ store") or without it, with no sink or the JSONL file sink.
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


def timed_updates(obj: object, n: int, start: int) -> float:
    """Microseconds per update of `obj`, each its own transaction."""
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            obj.quantity = start + i  # type: ignore[attr-defined]
            obj.save()  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000, help="updates per case per round")
    parser.add_argument("--rounds", type=int, default=7)
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

    def store(on: bool) -> Callable[[], None]:
        return lambda: setattr(settings, "AUDIT_STORE", on)

    def sink(on: bool) -> Callable[[], None]:
        return lambda: (audit_logger.addHandler if on else audit_logger.removeHandler)(file_sink)

    both_off = lambda: (store(False)(), sink(False)())  # noqa: E731
    cases: list[tuple[str, type, Callable[[], None]]] = [
        ("untracked", models.Plain, both_off),
        ("simple-history alone", models.HistoryOnly, both_off),
        ("ours, store off, no sink", models.Ours, both_off),
        ("ours + store, no sink", models.Ours, lambda: (store(True)(), sink(False)())),
        ("ours + store + file sink", models.Ours, lambda: (store(True)(), sink(True)())),
        ("django-auditlog", models.WithAuditlog, both_off),
    ]
    if settings.POSTGRES:
        cases.append(("django-pghistory (triggers)", models.WithPghistory, both_off))
    objects = {name: model.objects.create(name="bench", quantity=0) for name, model, _ in cases}
    objects = {name: type(obj).objects.get(pk=obj.pk) for name, obj in objects.items()}  # loaded, as services do
    print(
        f"database: {connection.vendor}; {args.n} updates per case per round, one transaction each; "
        f"{args.rounds} rounds, cases interleaved within each round; median per case"
    )
    samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    counter = 0
    for _ in range(args.rounds):
        for name, _, setup in cases:
            setup()
            samples[name].append(timed_updates(objects[name], args.n, counter))
            counter += args.n
    both_off()
    results = {name: statistics.median(values) for name, values in samples.items()}
    base = results["untracked"]
    for name, micros in results.items():
        print(f"  {name:<30} {micros:8.1f} us  {micros / base:5.2f}x")
    history = results["simple-history alone"]
    print(f"  ours + store / simple-history alone: {results['ours + store, no sink'] / history:.2f}x (target: <= 1.25)")
    print(
        f"  ours + store / django-auditlog:      {results['ours + store, no sink'] / results['django-auditlog']:.2f}x"
    )
    if settings.POSTGRES:
        pg = results["django-pghistory (triggers)"]
        print(f"  ours + store / django-pghistory:     {results['ours + store, no sink'] / pg:.2f}x")


if __name__ == "__main__":
    main()
