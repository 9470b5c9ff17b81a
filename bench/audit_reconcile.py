"""The reconcile pass (audit.reconcile) over 300,000 records: with nothing drifted, and with a few.

    .venv/bin/python bench/audit_reconcile.py [--records 300000] [--sealed-events]    # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_reconcile .venv/bin/python bench/audit_reconcile.py

Loads `--records` patients, each with its history row (bulk inserts, as an audited create
leaves them), into a fresh database; times three passes with nothing drifted (median), then
changes 10 patients with a queryset update and deletes 2 with raw SQL and times the pass
that finds and records them, and one more that finds nothing. With --sealed-events each
patient also has its sealed `patient.created` event, so the pass's second check (each record
against its newest sealed change event's state) reads them all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="medcamp-reconcile-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'reconcile.sqlite3'}")
os.environ["AUDIT_CONSOLE"] = "off"
os.environ["AUDIT_SINKS_ENABLED"] = "0"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit import state, store  # noqa: E402
from audit.catalogue import Kind  # noqa: E402
from audit.chain import seal_pending  # noqa: E402
from audit.event_types import EVENTS  # noqa: E402
from audit.events import build_event  # noqa: E402
from audit.reconcile import reconcile  # noqa: E402
from patients.models import Patient  # noqa: E402


def load(count: int) -> None:
    now, history = timezone.now(), Patient.history.model
    for start in range(0, count, 10_000):
        with transaction.atomic():
            rows = [
                Patient(book_no=f"B{i:07d}", name=f"Patient {i}", age_years=i % 90, sex="female", area="Kothur")
                for i in range(start, min(count, start + 10_000))
            ]
            Patient.objects.bulk_create(rows)
            made = Patient.objects.filter(book_no__gte=f"B{start:07d}", book_no__lt=f"B{start + 10_000:07d}")
            history.objects.bulk_create(
                history(
                    id=p.pk,
                    book_no=p.book_no,
                    name=p.name,
                    age_years=p.age_years,
                    sex=p.sex,
                    phone="",
                    area=p.area,
                    address="",
                    created_at=p.created_at,
                    updated_at=p.updated_at,
                    history_date=now,
                    history_type="+",
                )
                for p in made
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def seal_created_events() -> None:
    """Each patient's sealed `patient.created` event with its state (audit.state), as an audited create
    leaves one: what reconcile's second check holds each record to."""
    created = EVENTS.of("patient", Kind.CREATED)
    for chunk in range(0, Patient.objects.count(), 10_000):
        with transaction.atomic():
            for patient in Patient.objects.order_by("pk")[chunk : chunk + 10_000]:
                details = {"state": state.of(patient)}
                target = {"type": "patient", "id": patient.pk}
                store.insert(build_event(created, target=target, source="command", actor=None, details=details))
    while seal_pending(batch=10_000).count:
        pass


def timed(run):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--sealed-events", action="store_true", help="each record's sealed change event too")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if Patient.objects.exists():
        sys.exit("name an empty database")
    seconds, _ = timed(lambda: load(args.records))
    print(f"database: {connection.vendor}; loaded {args.records:,} patients with history in {seconds:.1f} s")
    if args.sealed_events:
        seconds, _ = timed(seal_created_events)
        print(f"stored and sealed {args.records:,} patient.created events with their state in {seconds:.1f} s")
    clean = [timed(reconcile) for _ in range(3)]
    assert all(found == [] for _, found in clean)
    print(f"pass, nothing drifted: {statistics.median(s for s, _ in clean):.2f} s (median of 3)")
    ids = list(Patient.objects.order_by("?").values_list("pk", flat=True)[:12])
    Patient.objects.filter(pk__in=ids[:10]).update(area="Elsewhere")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM patients_patient WHERE id IN ({ids[10]}, {ids[11]})")
    seconds, found = timed(reconcile)
    kinds = sorted(d.kind for d in found)
    print(f"pass that found {len(found)} ({', '.join(sorted(set(kinds)))}): {seconds:.2f} s")
    seconds, again = timed(reconcile)
    print(f"the pass after: {seconds:.2f} s, found {len(again)}")


if __name__ == "__main__":
    main()
