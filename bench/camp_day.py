"""The camp-day benchmark: N patients through the whole flow over HTTP against gunicorn.

    .venv/bin/python bench/camp_day.py [--patients 200] [--workers 2] [--concurrency 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_bench .venv/bin/python bench/camp_day.py

Runs the same flow in three scenarios, each against a fresh gunicorn on 127.0.0.1:
the event store and every sink off; the store (sealed in the background every 5 s) and
the sinks on (console, file, LogBull) with LogBull answering; and the same with LogBull
hanging (both LogBull servers are loopback fakes). Prints flows per second,
p50/p95 latency and SQL queries per request for each endpoint, whether any endpoint's
query count grew as the camp filled up, and the audit layer's cost as ratios of the
same run. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.camp_flow import Api, Stats, flow, login  # noqa: E402
from tests import servers  # noqa: E402
from tests.fake_logbull import PROJECT_ID, FakeLogBull  # noqa: E402

PY = sys.executable
ROLES = {"admin": "admin", "vol": "volunteer", "doc": "doctor", "pharm": "pharmacist"}


def django_env(work: Path, database: str, extra: dict[str, str]) -> dict[str, str]:
    return servers.app_env(database, work, MEDCAMP_QUERY_COUNT="1", LOGIN_THROTTLE_ATTEMPTS="1000", **extra)


def prepare(work: Path, database: str, passwords: dict[str, str]) -> None:
    """Migrate, and create one user per role and a well-stocked pharmacy."""
    script = f"""
import django, datetime as dt
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from accounts.services import user_create
from pharmacy import services
passwords = {passwords!r}
roles = {ROLES!r}
for name, role in roles.items():
    if not User.objects.filter(username="bench_" + name).exists():
        user_create(by=None, username="bench_" + name, password=passwords[name], roles=[role])
for i in range(1, 6):
    m = services.find_duplicate(f"Benchamol {{i}}", "tablet", "500 mg") or services.medicine_create(
        by=None, name=f"Benchamol {{i}}", type="tablet", formulation="500 mg")
    services.batch_receive(by=None, medicine_id=m.pk, batch_no=f"BENCH-{{i}}-{{dt.date.today()}}",
                           expiry_date=dt.date.today() + dt.timedelta(days=300), quantity=1_000_000)
"""
    env = django_env(work, database, {"AUDIT_SINKS_ENABLED": "0"})
    subprocess.run([PY, "-c", script], cwd=ROOT, env=env, check=True)


def serve(work: Path, database: str, workers: int, extra: dict[str, str]) -> tuple[servers.Server, str]:
    server = servers.start(django_env(work, database, extra), workers=workers)
    return server, server.url


def run_scenario(
    name: str, work: Path, database: str, args: argparse.Namespace, passwords: dict[str, str], extra: dict[str, str]
) -> dict[str, Any]:
    process, base = serve(work, database, args.workers, extra)
    try:
        stats = Stats()
        tokens = {key: login(base, f"bench_{key}", passwords[key]) for key in ROLES}
        api = {key: Api(base, token, stats) for key, token in tokens.items()}
        admin = Api(base, tokens["admin"], Stats())
        camp = admin.call(
            "camp",
            "POST",
            "/api/v1/camps/",
            {
                "name": f"Bench {name} {time.time_ns()}",
                "date": "2026-12-06",
                "location": "loopback",
                "status": "active",
            },
            201,
        )["id"]
        me = requests.get(base + "/api/v1/auth/me/", headers={"Authorization": f"Bearer {tokens['doc']}"}, timeout=10)
        medicines = [m["id"] for m in admin.call("medicines", "GET", "/api/v1/medicines/?search=Benchamol")["results"]]
        tag = f"B{secrets.token_hex(3)}"
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            futures = [pool.submit(flow, n, tag, camp, me.json()["id"], medicines, api) for n in range(args.patients)]
            for future in futures:
                try:
                    future.result()
                except Exception as exc:  # a failed flow is reported, not hidden
                    stats.errors.append(str(exc))
        elapsed = time.perf_counter() - started
    finally:
        process.stop()
    all_latencies = [s for values in stats.latency.values() for s in values]
    return {
        "name": name,
        "elapsed": elapsed,
        "flows_per_s": args.patients / elapsed,
        "stats": stats,
        "mean_request_ms": 1000 * statistics.fmean(all_latencies),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: dict[str, Any]) -> None:
    stats: Stats = result["stats"]
    print(
        f"\n== {result['name']}: {result['flows_per_s']:.2f} flows/s, mean request "
        f"{result['mean_request_ms']:.1f} ms, {len(stats.errors)} failed flows"
    )
    print(f"   {'endpoint':<40} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'grew?':>6}")
    for name in sorted(stats.latency):
        lat, queries = stats.latency[name], stats.queries[name]
        early, late = queries[: max(1, len(queries) // 5)], queries[-max(1, len(queries) // 5) :]
        grew = "YES" if max(late) > max(early) else "no"
        shown = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}-{max(queries)}"
        print(
            f"   {name:<40} {len(lat):>5} {1000 * percentile(lat, 50):>8.1f} {1000 * percentile(lat, 95):>8.1f} "
            f"{shown:>8} {grew:>6}"
        )
    for error in stats.errors[:5]:
        print(f"   failed: {error}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2, help="scenarios run in alternating rounds; medians kept")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="medcamp-campday-"))
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'bench.sqlite3'}"
    passwords = {key: secrets.token_urlsafe(12) for key in ROLES}
    prepare(work, database, passwords)
    print(
        f"database: {database.split('://')[0]}; {args.patients} patients, gunicorn {args.workers} workers, "
        f"{args.concurrency} client threads"
    )

    answering, hanging = FakeLogBull().start(), FakeLogBull().start()
    hanging.hang_seconds = 3600
    hanging.set_mode("hang")
    sinks = {"AUDIT_CONSOLE": "json"}  # gunicorn's stdout goes to /dev/null: the console sink still formats
    logbull = {"LOGBULL_PROJECT_ID": PROJECT_ID, "LOGBULL_SPOOL_DIR": str(work / "spool")}
    scenarios = [
        ("store and sinks off", {"AUDIT_SINKS_ENABLED": "0", "AUDIT_STORE": "0", "AUDIT_SEAL_INTERVAL": "0"}),
        ("sinks on, LogBull answering", {**sinks, **logbull, "LOGBULL_HOST": answering.url}),
        (
            "sinks on, LogBull hanging",
            {**sinks, **logbull, "LOGBULL_HOST": hanging.url, "LOGBULL_SPOOL_DIR": str(work / "spool-hanging")},
        ),
    ]
    # Alternating rounds (off, on, hanging, off, ...) so that drift on the machine falls on every scenario.
    rounds = [
        [run_scenario(name, work, database, args, passwords, extra) for name, extra in scenarios]
        for _ in range(args.rounds)
    ]
    results = [
        min(runs, key=lambda r: abs(r["mean_request_ms"] - statistics.median(x["mean_request_ms"] for x in runs)))
        for runs in zip(*rounds, strict=True)
    ]
    for result in results:
        report(result)
    for index, (name, _) in enumerate(scenarios):
        means = ", ".join(f"{r[index]['mean_request_ms']:.1f}" for r in rounds)
        print(f"   {name}: mean request ms per round: {means}")
    off, on, hang = (
        {
            "mean_request_ms": statistics.median(r[i]["mean_request_ms"] for r in rounds),
            "flows_per_s": statistics.median(r[i]["flows_per_s"] for r in rounds),
        }
        for i in range(3)
    )
    print("\n== audit cost (same run)")
    print(f"   store + sinks on / all off, per request: {on['mean_request_ms'] / off['mean_request_ms']:.3f}x")
    print(f"   store + sinks on / all off, per flow:    {off['flows_per_s'] / on['flows_per_s']:.3f}x")
    print(f"   LogBull hanging / answering, per request: {hang['mean_request_ms'] / on['mean_request_ms']:.3f}x")
    print(f"   LogBull items received while answering: {len(answering.items)}")
    answering.stop()
    hanging.stop()


if __name__ == "__main__":
    main()
