"""How fast the shipper catches up: N sealed events that no sink has had, sent to the JSONL file and LogBull.

    .venv/bin/python bench/ship_rate.py [--events 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_ship .venv/bin/python bench/ship_rate.py

Stores N events straight into the store (as if every process died after its commits),
seals them, then times FileShipper.ship() into an empty file and LogBullShipper.ship()
against a loopback fake LogBull, in events per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="medcamp-ship-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'ship.sqlite3'}")
os.environ["AUDIT_CONSOLE"] = "off"
os.environ["AUDIT_LOG_FILE"] = str(WORK / "audit.jsonl")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from audit import event_types as E  # noqa: E402
from audit import store  # noqa: E402
from audit.chain import seal_pending  # noqa: E402
from audit.events import build_event  # noqa: E402
from audit.logbull import LogBullHandler  # noqa: E402
from audit.shipper import FileShipper, LogBullShipper  # noqa: E402
from tests.fake_logbull import PROJECT_ID, FakeLogBull  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    for start in range(0, args.events, 1000):
        with transaction.atomic():
            for i in range(start, min(args.events, start + 1000)):
                target = {"type": "patient", "id": i}
                store.insert(build_event(E.PATIENT_VIEWED, target=target, source="command", actor=None))
    while seal_pending().count:
        pass
    started = time.perf_counter()
    written = FileShipper(WORK / "shipped.jsonl", settle=timedelta(0)).ship()
    took = time.perf_counter() - started
    print(f"database: {connection.vendor}; file: {written:,} events in {took:.2f} s: {written / took:,.0f} per second")
    fake = FakeLogBull().start()
    handler = LogBullHandler(fake.url, PROJECT_ID, spool_dir=str(WORK / "spool"))
    started = time.perf_counter()
    sent = LogBullShipper(handler).ship()
    took = time.perf_counter() - started
    print(f"LogBull (loopback fake): {sent:,} events in {took:.2f} s: {sent / took:,.0f} per second")
    handler.close()
    fake.stop()


if __name__ == "__main__":
    main()
