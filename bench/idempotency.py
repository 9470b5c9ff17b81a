"""What an Idempotency-Key costs a write, and what a replay costs.

    .venv/bin/python bench/idempotency.py [--n 200] [--rounds 7]         # SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/medcamp_bench .venv/bin/python bench/idempotency.py

In process, through DRF's test client with a real access token: PATCH patients/{id}/ (a
change: history row, event-store row, JSONL line) without a key, with a fresh key each
time (the request in one transaction with its stored answer, the key held by an advisory
lock on PostgreSQL), and the same keyed request repeated (answered from the store). The
cases run interleaved in each round; each figure is the median over rounds, ratios are
within this one run. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="medcamp-idem-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "AUDIT_CONSOLE": "off",
        "AUDIT_LOG_FILE": str(WORK / "audit.jsonl"),
        "LOGBULL_SPOOL_DIR": str(WORK / "spool"),
        "STATIC_MANIFEST": "0",
        "AUDIT_SEAL_INTERVAL": "0",
    }
)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")

warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic for a bench

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.services import user_create  # noqa: E402
from accounts.tokens import AccessToken  # noqa: E402
from patients.models import Patient  # noqa: E402


def run_case(api: APIClient, url: str, n: int, key: str | None, start: int) -> float:
    """Microseconds per PATCH; `key`: None (no header), "fresh" (a new key each), else that key."""
    started = time.perf_counter()
    for i in range(n):
        headers = {}
        if key == "fresh":
            headers["HTTP_IDEMPOTENCY_KEY"] = f"k-{start}-{i}"
        elif key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        body = {"area": f"Ward {start + i}"} if key != "same" else {"area": "Ward 0"}
        response = api.patch(url, body, format="json", **headers)
        assert response.status_code == 200, response.content[:200]
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="requests per case per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    username, password = f"bench_{secrets.token_hex(3)}", secrets.token_urlsafe(16)
    user = user_create(by=None, username=username, password=password, roles=["admin"])
    patient = Patient.objects.create(book_no=f"B-{secrets.token_hex(3)}", name="Bench", age_years=40, sex="female")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    url = f"/api/v1/patients/{patient.pk}/"
    run_case(api, url, 1, "same", 0)  # store the answer the "same" case replays
    cases = {"no key": None, "fresh key": "fresh", "replay": "same"}
    figures: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(args.rounds):
        for name, key in cases.items():
            figures[name].append(run_case(api, url, args.n, key, (r + 1) * 10 * args.n + len(figures[name])))
    median = {name: statistics.median(values) for name, values in figures.items()}
    print(f"database: {django.db.connection.vendor}; {args.n} PATCHes per case per round, {args.rounds} rounds")
    for name, value in median.items():
        print(f"  {name:10} {value:8.0f} us/request   {value / median['no key']:.2f}x of no key")


if __name__ == "__main__":
    main()
