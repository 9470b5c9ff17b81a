"""What the Prometheus metrics cost: a request with them on and off, and a scrape of 8 workers' files.

    .venv/bin/python bench/metrics_cost.py [--rounds 9] [--requests 400] [--scrape-requests 100000]

1. Requests: two in-process clients on one SQLite database, one built with METRICS_ENABLED on
   and one off (the middleware reads the setting when the chain is built), each signed in with
   a JWT, each reading one patient (GET /api/v1/patients/{id}/, with its audit event);
   rounds interleaved, the median per-request time of each, and their ratio (target: within 3 %).
2. Scrape: 8 processes in multiprocess mode share 100,000 requests between them over every
   route template of the project (x 2 methods x 2 status classes), as 8 gunicorn workers
   would leave their files; then /metrics's merge (core.metrics.exposition) is timed,
   median of 20 (target: under 100 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import boot  # noqa: E402

WORKERS = 8


def setup_django(work: Path) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")  # unless the run names one
    settings = {"AUDIT_LOG_FILE": str(work / "audit.jsonl"), "ALLOWED_HOSTS": "testserver"}
    boot.setup(**settings)


def requests_bench(rounds: int, count: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.services import user_create
    from patients.models import Patient

    call_command("migrate", verbosity=0)
    user_create(by=None, username="bench_vol", password="bench-password-123", roles=["volunteer"])
    patient = Patient.objects.create(book_no="BENCH-1", name="Bench Patient", age_years=40, sex="female", area="X")
    clients = {}
    for name, enabled in (("metrics on", True), ("metrics off", False)):
        settings.METRICS_ENABLED = enabled
        client = Client()
        token = client.post(
            "/api/v1/auth/login/", {"username": "bench_vol", "password": "bench-password-123"}, "application/json"
        ).json()["access"]
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        client.get(f"/api/v1/patients/{patient.pk}/")  # builds this client's middleware chain now
        clients[name] = client
    url = f"/api/v1/patients/{patient.pk}/"
    times: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            started = time.perf_counter()
            for _ in range(count):
                client.get(url)
            times[name].append((time.perf_counter() - started) / count * 1e6)
    on, off = statistics.median(times["metrics on"]), statistics.median(times["metrics off"])
    print(f"requests: {rounds} rounds x {count} GET {url}, interleaved")
    for name, row in times.items():
        print(f"  {name:<12} median {statistics.median(row):7.0f} us/request (min {min(row):.0f}, max {max(row):.0f})")
    paired = [a / b for a, b in zip(times["metrics on"], times["metrics off"], strict=True)]
    ratio = statistics.median(paired)
    print(f"  on/off = {on / off:.3f} (medians); paired rounds' ratios, median {ratio:.3f}")
    # The same work alone, without the request around it: what the middleware adds, in us.
    from core import metrics as M

    loops = 20_000
    started = time.perf_counter()
    for _ in range(loops):
        timer = M.Timer()
        M.REQUESTS_IN_FLIGHT.inc()
        M.REQUESTS_IN_FLIGHT.dec()
        route = M.route_template("api/v1/^patients/(?P<pk>[^/.]+)/$")
        M.REQUEST_SECONDS.labels(route, M.method_label("GET"), M.status_class(200)).observe(timer.seconds())
        M.REQUEST_QUERIES.observe(4)
    alone = (time.perf_counter() - started) / loops * 1e6
    print(f"  the middleware's own work: {alone:.1f} us/request = {alone / off * 100:.2f} % of a request")


def worker(directory: str, index: int, share: int, routes: list[str]) -> None:
    """One worker process's share of the requests, written to the multiprocess directory."""
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    from core import metrics as M

    for n in range(share):
        route = routes[(n * 7 + index) % len(routes)]
        method, status = ("GET", "2xx") if n % 3 else ("POST", "4xx")
        M.REQUEST_SECONDS.labels(route, method, status).observe(0.004 + (n % 50) / 1000)
        M.REQUEST_QUERIES.observe(n % 12)
        M.AUDIT_EVENTS.labels("patient", "success").inc()
        M.SINK_WRITTEN.labels("store").inc()
        M.REQUESTS_IN_FLIGHT.inc()
        M.REQUESTS_IN_FLIGHT.dec()
    os._exit(0)  # a live worker's files stay as they are (a normal exit would fold them: core.metrics)


def scrape_bench(total: int) -> None:
    from django.urls import get_resolver

    from core.metrics import url_route_templates

    routes = sorted(url_route_templates(get_resolver().url_patterns))
    with tempfile.TemporaryDirectory() as directory:
        share = total // WORKERS
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", directory, str(i), str(share), json.dumps(routes)],
                env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory},
            )
            for i in range(WORKERS)
        ]
        for proc in procs:
            assert proc.wait() == 0
        loaded = time.perf_counter() - started
        timing = subprocess.run(
            [sys.executable, __file__, "--time-scrape", directory],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        files = list(Path(directory).glob("*.db"))
        size = sum(f.stat().st_size for f in files)
        print(f"scrape: {WORKERS} workers, {total:,} requests over {len(routes)} route templates ({loaded:.0f} s)")
        print(f"  {len(files)} files, {size / 1e6:.1f} MB; {timing.strip()}")


def time_scrape(directory: str) -> None:
    from core.metrics import exposition

    exposition()  # the first read maps the files
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        body = exposition()
        runs.append((time.perf_counter() - started) * 1000)
    lines = body.count(b"\n")
    median, low, high = statistics.median(runs), min(runs), max(runs)
    print(f"merge and render: median {median:.0f} ms (min {low:.0f}, max {high:.0f}), {lines:,} lines")


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]))
        return
    if sys.argv[1:2] == ["--time-scrape"]:
        time_scrape(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--scrape-requests", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        setup_django(Path(work))
        requests_bench(args.rounds, args.requests)
        scrape_bench(args.scrape_requests)


if __name__ == "__main__":
    main()
