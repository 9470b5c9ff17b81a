"""Camp reports at national scale, on PostgreSQL: one camp of 2,000 visits, and 100 camps / 200,000 visits.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_reports .venv-bench/bin/python bench/report_scale.py \\
        [--camps 100] [--per-camp 2000] [--rounds 7]

Creates the named database if it is missing, migrates it and, unless it already holds the
asked size, loads with INSERT ... SELECT: `--camps` camps of `--per-camp` visits (patients
returning across camps), vitals for 95 %, consultations for 90 % (two prescriptions each),
pickups for 80 %, stock received and dispensed. Then times, rounds interleaved, the whole
report (every table, `consultations.reports.made`) of one camp and of ranges of a quarter,
a half and all of the camps, and prints the medians, the query counts and how time grows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import boot

boot.setup(AUDIT_SINKS_ENABLED="0", AUDIT_STORE="0")

import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from consultations.reports import scope  # noqa: E402
from consultations.reports.made import made  # noqa: E402

FIRST_DAY = "2025-01-04"
DIAGNOSES = [
    "Hypertension",
    "hypertension",
    "Type 2 diabetes",
    "type 2  diabetes, hypertension",
    "Viral fever",
    "Acid peptic disease",
    "Osteoarthritis knee",
    "Anaemia",
    "URTI",
    "Scabies",
]
LOAD = """
INSERT INTO camps_medicalcamp (id, name, date, location, expected_patients, attended_patients, status,
    last_token, created_at, updated_at, book_prefix, last_book_no)
SELECT c, 'Camp ' || c, DATE '{first}' + 3 * c, 'Village ' || (c %% 25), %(per)s, %(per)s, 'closed', %(per)s,
    now(), now(), 'C' || c, 0
FROM generate_series(1, %(camps)s) c;

INSERT INTO patients_patient (id, book_no, name, age_years, sex, phone, area, address, created_at, updated_at)
SELECT p, 'B-' || p, 'Patient ' || p, (p * 37) %% 91,
    CASE WHEN p %% 50 = 0 THEN 'other' WHEN p %% 2 = 0 THEN 'female' ELSE 'male' END,
    '', 'Village ' || (p %% 25), '', now(), now()
FROM generate_series(1, %(patients)s) p;

INSERT INTO patients_visit (id, camp_id, patient_id, token_number, status, counselling, registered_at,
    vitals_at, consultation_started_at, dispensed_at)
SELECT v, c, (v - 1) %% %(patients)s + 1, t,
    CASE WHEN t %% 20 = 0 THEN 'cancelled' WHEN t %% 5 = 0 THEN 'consulted' WHEN t %% 10 = 9 THEN 'queued'
         ELSE 'completed' END,
    CASE t %% 10 WHEN 0 THEN 'pending' WHEN 1 THEN 'done' ELSE 'not_required' END,
    r,
    CASE WHEN t %% 20 <> 0 THEN r + interval '1 minute' * (5 + t %% 20) END,
    CASE WHEN t %% 10 <> 9 AND t %% 20 <> 0 THEN r + interval '1 minute' * (20 + t %% 60) END,
    CASE WHEN t %% 5 <> 0 AND t %% 10 <> 9 THEN r + interval '1 minute' * (60 + t %% 90) END
FROM (
    SELECT (c - 1) * %(per)s + t AS v, c, t,
        ((DATE '{first}' + 3 * c) + TIME '09:00') AT TIME ZONE 'Asia/Kolkata' + interval '1 second' * (t * 10) AS r
    FROM generate_series(1, %(camps)s) c, generate_series(1, %(per)s) t
) visits;

INSERT INTO patients_vitals (id, visit_id, bp_systolic, bp_diastolic, pulse, rbs, weight_kg, height_cm,
    temperature_c, spo2, notes, recorded_at, updated_at)
SELECT id, id, 100 + id %% 80, 60 + id %% 40, 60 + id %% 50, 80 + id %% 200, 30 + id %% 60, 140 + id %% 50,
    36.5 + (id %% 20) / 10.0, 90 + id %% 10, '', vitals_at, vitals_at
FROM patients_visit WHERE vitals_at IS NOT NULL;

INSERT INTO consultations_queueentry (id, visit_id, doctor_id, priority, status, queued_at, started_at, finished_at)
SELECT id, id, %(doctor)s + id %% 20, 'normal', 'completed', vitals_at, consultation_started_at,
    consultation_started_at + interval '1 minute' * (3 + id %% 12)
FROM patients_visit WHERE consultation_started_at IS NOT NULL;

INSERT INTO consultations_consultation (id, visit_id, doctor_id, queue_entry_id, chief_complaint, diagnosis,
    advice, counselling_status, counselling_notes, created_at, updated_at)
SELECT id, visit_id, doctor_id, id, '', (%(diagnoses)s::text[])[1 + id %% %(n_diagnoses)s], '', 'not_required', '',
    started_at, started_at
FROM consultations_queueentry;

INSERT INTO pharmacy_medicine (id, name, type, formulation, unit, reorder_level, active, created_at, updated_at)
SELECT m, 'Medicine ' || m, 'tablet', (m * 5) || ' mg', 'tablet', 100, true, now(), now()
FROM generate_series(1, 30) m;

INSERT INTO pharmacy_stockbatch (id, medicine_id, batch_no, expiry_date, quantity_received, quantity_on_hand,
    received_at, updated_at)
SELECT m, m, 'LOT-' || m, DATE '2030-01-01', 10000000, 10000000, now(), now() FROM generate_series(1, 30) m;

INSERT INTO pharmacy_stockmovement (batch_id, quantity, kind, reason, at)
SELECT m, 10000000, 'received', '', TIMESTAMPTZ '2024-12-01 09:00+05:30' FROM generate_series(1, 30) m;

INSERT INTO consultations_prescription (id, consultation_id, medicine_id, quantity, quantity_dispensed, days,
    time_slots, instructions, status, created_at, updated_at)
SELECT 2 * c.id - k, c.id, 1 + (c.id * (k + 3)) %% 30, 10 + c.id %% 20,
    CASE WHEN v.dispensed_at IS NOT NULL THEN 10 + c.id %% 20 ELSE 0 END, 5, '["morning"]', '',
    CASE WHEN v.dispensed_at IS NOT NULL THEN 'dispensed' ELSE 'active' END, c.created_at, c.created_at
FROM consultations_consultation c JOIN patients_visit v ON v.id = c.visit_id, generate_series(0, 1) k;

INSERT INTO pharmacy_stockmovement (batch_id, quantity, kind, reason, at)
SELECT p.medicine_id, -p.quantity_dispensed, 'dispensed', '', v.dispensed_at
FROM consultations_prescription p JOIN consultations_consultation c ON c.id = p.consultation_id
JOIN patients_visit v ON v.id = c.visit_id WHERE p.quantity_dispensed > 0;
"""


def ensure_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def load(camps: int, per_camp: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patients_visit")
        if cursor.fetchone()[0] == camps * per_camp:
            print(f"reusing {camps * per_camp:,} visits already loaded")
            return
        tables = "camps_medicalcamp, patients_patient, pharmacy_medicine"
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    doctors = [User.objects.get_or_create(username=f"bench_dr_{i}", first_name=f"Doctor{i}")[0] for i in range(20)]
    started = time.perf_counter()
    params = {
        "camps": camps,
        "per": per_camp,
        "patients": camps * per_camp * 6 // 10,
        "doctor": min(d.pk for d in doctors),
        "diagnoses": DIAGNOSES,
        "n_diagnoses": len(DIAGNOSES),
    }
    with connection.cursor() as cursor:
        cursor.execute(LOAD.format(first=FIRST_DAY), params)
        cursor.execute("ANALYZE")
    print(f"loaded {camps * per_camp:,} visits in {time.perf_counter() - started:.0f} s")


def timed(covered: scope.Scope) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        made(covered, None)
        took = time.perf_counter() - started
    return took * 1000, len(captured)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--camps", type=int, default=100)
    parser.add_argument("--per-camp", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run on PostgreSQL: DATABASE_URL=postgres://...")
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    load(args.camps, args.per_camp)
    last = scope.of_camp(args.camps).last
    first = scope.of_camp(1).first
    variants = {"one camp": scope.of_camp(args.camps // 2)}
    for share in (4, 2, 1):
        count = args.camps // share
        end = scope.of_camp(count).last if count < args.camps else last
        variants[f"{count} camps"] = scope.of_range({"from": first.isoformat(), "to": end.isoformat()})
    for covered in variants.values():
        timed(covered)  # warm the cache and the plans once
    times: dict[str, list[float]] = {name: [] for name in variants}
    queries: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, covered in variants.items():
            ms, count = timed(covered)
            times[name].append(ms)
            queries[name] = count
    print(f"{'report':<12} {'visits':>8} {'median ms':>10} {'min':>8} {'max':>8} {'queries':>8}")
    for name, covered in variants.items():
        visits = covered.camps().count() * args.per_camp
        row = times[name]
        median, low, high = statistics.median(row), min(row), max(row)
        print(f"{name:<12} {visits:>8,} {median:>10.0f} {low:>8.0f} {high:>8.0f} {queries[name]:>8}")


if __name__ == "__main__":
    main()
