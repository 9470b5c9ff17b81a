"""What the doors' guards cost one request: the body checks and the masking of personal data.

    .venv/bin/python bench/hostile_cost.py [--rounds 9] [--requests 300]

Two in-process clients on one SQLite database (DATABASE_URL names another), each signed in as
a volunteer with a JWT:

- "guarded": the project as it runs: BodyCheckMiddleware and RefuseFarDatesMiddleware in the
  chain, the JSON parser counting a body's nesting (core.parsers), every event's free text
  scanned for phone numbers (audit.sanitize.masked_text);
- "bare": the same chain without those two middlewares, the nesting count and the phone scan
  switched off for its rounds (module functions swapped, put back for the guarded rounds).

Each round sends `--requests` of each kind through each client, rounds interleaved (which
variant goes first alternates from round to round):
`POST /api/v1/patients/` (a body parsed, a write, its audit event) and
`GET /api/v1/patients/?search=<phone>` (a search whose filters are masked). Printed: the median
per-request time of each variant and kind, and the median of the paired rounds' ratios.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import boot  # noqa: E402

GUARDS = ("clinic.middleware.BodyCheckMiddleware", "clinic.middleware.RefuseFarDatesMiddleware")
PASSWORD = "bench-password-123"


@contextmanager
def bare() -> Iterator[None]:
    """The nesting count and the phone scan switched off while the bare client's round runs."""
    from audit import sanitize
    from core import parsers

    nesting, masked_text = parsers.nesting, sanitize.masked_text
    parsers.nesting = lambda text: 0  # type: ignore[assignment]
    sanitize.masked_text = lambda text: text  # type: ignore[assignment]
    try:
        yield
    finally:
        parsers.nesting, sanitize.masked_text = nesting, masked_text


def client_with(middleware: list[str]):  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.test import Client

    settings.MIDDLEWARE = middleware
    client = Client()
    body = {"username": "bench_vol", "password": PASSWORD}
    token = client.post("/api/v1/auth/login/", body, "application/json").json()["access"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    client.get("/api/v1/health/")  # builds this client's middleware chain now
    return client


def run(rounds: int, count: int) -> None:
    from django.conf import settings
    from django.core.management import call_command

    from accounts.services import user_create

    call_command("migrate", verbosity=0)
    user_create(by=None, username="bench_vol", password=PASSWORD, roles=["volunteer"])
    full = list(settings.MIDDLEWARE)
    clients = {"guarded": client_with(full), "bare": client_with([m for m in full if m not in GUARDS])}
    settings.MIDDLEWARE = full
    books = itertools.count(1)

    def create(client) -> Callable[[], int]:  # type: ignore[no-untyped-def]
        def send() -> int:
            body = {
                "book_no": f"HB-{next(books)}",
                "name": "Sunita Devi",
                "age_years": 41,
                "sex": "female",
                "area": "Kothur",
                "phone": "9253705399",
            }
            return client.post("/api/v1/patients/", body, "application/json").status_code

        return send

    kinds = {
        "POST patients/": (create, 201),
        "GET patients/?search=<phone>": (
            lambda client: lambda: client.get("/api/v1/patients/", {"search": "92537 05399"}).status_code,
            200,
        ),
    }
    times: dict[tuple[str, str], list[float]] = {(v, k): [] for v in clients for k in kinds}
    for number in range(rounds):
        for kind, (make, expected) in kinds.items():
            order = list(clients.items())  # who goes first alternates: the second finds caches warm
            for variant, client in order if number % 2 == 0 else order[::-1]:
                send = make(client)
                with bare() if variant == "bare" else _nothing():
                    started = time.perf_counter()
                    for _ in range(count):
                        status = send()
                    elapsed = time.perf_counter() - started
                assert status == expected, (variant, kind, status)
                times[(variant, kind)].append(elapsed / count * 1e6)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{rounds} rounds x {count} requests of each kind per variant, interleaved ({engine})")
    for kind in kinds:
        guarded, plain = times[("guarded", kind)], times[("bare", kind)]
        paired = statistics.median(g / b for g, b in zip(guarded, plain, strict=True))
        print(
            f"  {kind:<30} guarded {statistics.median(guarded):6.0f} us, bare {statistics.median(plain):6.0f} us;"
            f" paired ratio median {paired:.3f} (rounds {min(g / b for g, b in zip(guarded, plain, strict=True)):.3f}"
            f" to {max(g / b for g, b in zip(guarded, plain, strict=True)):.3f})"
        )
    alone()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def alone() -> None:
    """The guards' own work without a request around it, in microseconds."""
    import json

    from audit.sanitize import masked_text
    from core.parsers import nesting

    body = json.dumps({"book_no": "HB-1", "name": "Sunita Devi", "age_years": 41, "sex": "female", "area": "Kothur"})
    phone = "patient searched (search): 1 of filters {'search': '92537 05399'}"
    plain = "patient viewed: Sunita Devi, book HB-12, camp 3"
    for name, call in (
        ("nesting(body)", lambda: nesting(body)),
        ("masked_text(phone)", lambda: masked_text(phone)),
        ("masked_text(plain)", lambda: masked_text(plain)),
    ):
        loops = 50_000
        started = time.perf_counter()
        for _ in range(loops):
            call()
        print(f"  {name:<22} {(time.perf_counter() - started) / loops * 1e6:.2f} us alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(work) / 'bench.sqlite3'}")
        boot.setup(AUDIT_LOG_FILE=str(Path(work) / "audit.jsonl"), ALLOWED_HOSTS="testserver")
        run(args.rounds, args.requests)


if __name__ == "__main__":
    main()
