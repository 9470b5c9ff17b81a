"""The event store at national scale, on PostgreSQL: synthetic events, the auditors' questions,
sealing and verifying.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_scale .venv/bin/python bench/audit_scale.py \\
        [--events 3000000] [--seal 1000000]

Creates (or empties) the named database, migrates it, loads `--events` synthetic events
(200,000 patients, 2,000 actors, ten days) with one INSERT ... SELECT, and then:
EXPLAINs a patient's trail and an actor's day (neither may use a sequential scan) and
times them over random patients and actors; times a CSV export of one patient's trail;
seals the first `--seal` events with the app's own sealing pass and verifies them with
`audit_verify`'s code, reporting seconds per million events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import boot

boot.setup(AUDIT_SINKS_ENABLED="0")

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from audit.chain import seal_pending  # noqa: E402
from audit.keys import mac_key  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from audit.trail_admin import _csv_lines, patient_trail  # noqa: E402
from audit.verification import verify  # noqa: E402

PATIENTS, ACTORS, DAYS = 200_000, 2_000, 10
DAY = dt.timedelta(days=1)
# Whole events (the columns derived from the JSON, as the app stores them), each signed as the
# app signs it (audit.keys.event_mac) by pgcrypto's hmac() in SQL.
LOAD = f"""
INSERT INTO audit_auditevent (event_id, timestamp, event, action, outcome, reason, source, actor_id,
    actor_username, request_id, target_type, target_id, patient_id, visit_id, camp_id, data, mac)
SELECT eid, ts, ev, act, outcome, '', 'route', aid, 'user' || aid, rid, 'patient', pid::text, pid, vid, cid,
    d, encode(hmac(convert_to(d, 'UTF8'), %(key)s, 'sha256'), 'hex')
FROM (
    SELECT *, json_build_object(
        'event_id', eid, 'timestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'event', ev, 'action', act, 'outcome', outcome, 'source', 'route', 'level', 'INFO',
        'actor', json_build_object('id', aid, 'username', 'user' || aid), 'request', json_build_object('id', rid),
        'target', json_build_object('type', 'patient', 'id', pid), 'patient_id', pid, 'visit_id', vid,
        'camp_id', cid, 'message', 'synthetic'
    )::text AS d
    FROM (
        SELECT md5(g::text || 'e') AS eid,
            TIMESTAMPTZ '2026-11-01' + (g::float / %(n)s) * INTERVAL '{DAYS} days' AS ts,
            (ARRAY['patient.viewed','patient.updated','visit.status_changed','vitals.recorded',
                   'prescription.created','stock.deducted','auth.login','patient.searched'])[1 + g %% 8] AS ev,
            (ARRAY['read','update','update','create','create','update','login','read'])[1 + g %% 8] AS act,
            CASE WHEN g %% 50 = 0 THEN 'failure' ELSE 'success' END AS outcome,
            1 + (g * 7919) %% {ACTORS} AS aid, md5(g::text || 'r') AS rid,
            1 + (g * 104729) %% {PATIENTS} AS pid, g / 3 AS vid, 1 + g %% 1000 AS cid
        FROM generate_series(1::bigint, %(n)s::bigint) AS g
    ) AS base
) AS synthetic
"""


def plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def timed_ms(run, samples: int = 30) -> float:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--seal", type=int, default=1_000_000)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "this benchmark is for PostgreSQL (set DATABASE_URL)"
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        present = cursor.fetchone()[0]
        if present and present != args.events:
            sys.exit(f"the database holds {present:,} events, not {args.events:,}: name an empty one")
        if present:
            print(f"reusing the {present:,} events already loaded")
        else:
            started = time.perf_counter()
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            cursor.execute(LOAD, {"n": args.events, "key": mac_key()})
            cursor.execute("ANALYZE audit_auditevent")
            print(f"loaded {args.events:,} events in {time.perf_counter() - started:.1f} s")
    rng = random.Random(7)
    trail = AuditEvent.objects.filter(patient_trail(4242)).order_by("timestamp", "id")
    trail_sql, trail_params = trail.query.sql_with_params()
    start = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    day = AuditEvent.objects.filter(actor_username="user77", timestamp__gte=start, timestamp__lt=start + DAY)
    day_sql, day_params = day.order_by("timestamp").query.sql_with_params()
    for name, sql, params in (("a patient's trail", trail_sql, trail_params), ("an actor's day", day_sql, day_params)):
        text = plan(sql, list(params))
        print(f"\nEXPLAIN {name}:\n{text}")
        assert "Seq Scan" not in text, f"{name} scans the whole table"

    def patient_page() -> None:
        list(AuditEvent.objects.filter(patient_trail(rng.randint(1, PATIENTS))).order_by("timestamp", "id")[:100])

    def actor_day() -> None:
        actor = f"user{rng.randint(1, ACTORS)}"
        start = dt.datetime(2026, 11, rng.randint(1, 9), tzinfo=dt.UTC)
        rows = AuditEvent.objects.filter(actor_username=actor, timestamp__gte=start, timestamp__lt=start + DAY)
        list(rows.order_by("timestamp")[:100])

    def export() -> None:
        for _ in _csv_lines(AuditEvent.objects.filter(patient_trail(rng.randint(1, PATIENTS)))):
            pass

    print(f"\na patient's trail, first page: {timed_ms(patient_page):.2f} ms (median of 30 random patients)")
    print(f"an actor's day, first page:   {timed_ms(actor_day):.2f} ms (median of 30 random actors)")
    print(f"CSV export of a patient:      {timed_ms(export):.2f} ms (median of 30; ~{args.events // PATIENTS} rows)")
    started, sealed = time.perf_counter(), 0
    while sealed < args.seal and (done := seal_pending(batch=min(5000, args.seal - sealed))).count:
        sealed += done.count
    sealing = time.perf_counter() - started
    if sealed:
        print(f"\nsealed {sealed:,} events in {sealing:.1f} s: {sealing / sealed * 1e6:.1f} s per million")
    started = time.perf_counter()
    report = verify()
    verifying = time.perf_counter() - started
    per_million = verifying / report.sealed * 1e6
    print(f"audit_verify over {report.sealed:,} sealed: {verifying:.1f} s: {per_million:.1f} s per million")
    print(f"problems: {len(report.problems)}; {report.summary()}")


if __name__ == "__main__":
    main()
