"""What speaking Hindi or Telugu costs a request: the same reads in English and in Hindi.

    .venv/bin/python bench/i18n_cost.py [--rounds 31] [--requests 100]

In-process clients on one SQLite database, rounds interleaved (each client first in turn):
1. API: GET /api/v1/patients/{id}/ (with its audit event), with Accept-Language en, with hi,
   and with none for a user whose preference is te (applied when the token is read);
2. admin: the doctor's queue page (/admin/consultations/queueentry/?mine=1) for a doctor whose
   language is English and one whose language is Hindi.
Then the pieces alone: choosing and entering a language (clinic.locale), and a record's
English name for an event (core.languages.english). Target: Hindi within 3 % of English.
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
from bench import boot  # noqa: E402


def setup_django(work: Path) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")  # unless the run names one
    settings = {"AUDIT_LOG_FILE": str(work / "audit.jsonl"), "ALLOWED_HOSTS": "testserver"}
    settings["STATIC_MANIFEST"] = "0"  # admin pages name the apps' static files as they are
    boot.setup(**settings)


def clients() -> dict[str, tuple[object, str, dict[str, str]]]:
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from accounts.services import user_create
    from camps.models import MedicalCamp
    from patients.models import Patient

    call_command("migrate", verbosity=0)
    for name, roles in (
        ("bench_vol", ["volunteer"]),
        ("bench_te", ["volunteer"]),
        ("dr_en", ["doctor"]),
        ("dr_hi", ["doctor"]),
    ):
        user_create(by=None, username=name, password="bench-password-123", roles=roles)
    User.objects.filter(username="bench_te").update(language="te")
    User.objects.filter(username="dr_hi").update(language="hi")
    MedicalCamp.objects.create(name="Bench", date="2026-12-02", location="X", status="active")
    patient = Patient.objects.create(book_no="BENCH-1", name="Bench Patient", age_years=40, sex="female", area="X")
    api = f"/api/v1/patients/{patient.pk}/"
    made: dict[str, tuple[object, str, dict[str, str]]] = {}
    for label, user, header in (
        ("api en", "bench_vol", "en"),
        ("api hi", "bench_vol", "hi"),
        ("api te (pref)", "bench_te", ""),
    ):
        client = Client()
        body = {"username": user, "password": "bench-password-123"}
        token = client.post("/api/v1/auth/login/", body, "application/json").json()["access"]
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}", **({"HTTP_ACCEPT_LANGUAGE": header} if header else {})}
        made[label] = (client, api, extra)
    for label, user in (("admin queue en", "dr_en"), ("admin queue hi", "dr_hi")):
        client = Client()
        client.force_login(User.objects.get(username=user))
        made[label] = (client, "/admin/consultations/queueentry/?mine=1", {})
    return made


def requests_bench(rounds: int, count: int) -> None:
    made = clients()
    for label, (client, url, extra) in made.items():
        assert client.get(url, **extra).status_code == 200, label  # warm: middleware chain, catalogues, templates
    times: dict[str, list[float]] = {label: [] for label in made}
    labels = list(made)
    for number in range(rounds):
        for label in labels[number % len(labels) :] + labels[: number % len(labels)]:  # each goes first in turn
            client, url, extra = made[label]
            started = time.perf_counter()
            for _ in range(count):
                client.get(url, **extra)
            times[label].append((time.perf_counter() - started) / count * 1e6)
    print(f"requests: {rounds} rounds x {count}, interleaved")
    for label, row in times.items():
        print(f"  {label:<16} median {statistics.median(row):7.0f} us (min {min(row):.0f}, max {max(row):.0f})")
    for english, other in (("api en", "api hi"), ("api en", "api te (pref)"), ("admin queue en", "admin queue hi")):
        paired = statistics.median(b / a for a, b in zip(times[english], times[other], strict=True))
        print(f"  {other} / {english}: paired rounds' ratios, median {paired:.3f}")


def pieces_bench(loops: int = 20_000) -> None:
    from django.test import RequestFactory
    from django.utils import translation

    from clinic.locale import page_language
    from core.languages import english, from_header
    from pharmacy.models import Medicine

    request = RequestFactory().get("/admin/", HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.8")
    started = time.perf_counter()
    for _ in range(loops):
        with translation.override(page_language(request)):
            from_header("hi-IN,hi;q=0.9,en;q=0.8")
    chosen = (time.perf_counter() - started) / loops * 1e6
    medicine = Medicine(name="Paracetamol", type="tablet", formulation="500 mg")
    with translation.override("hi"):
        started = time.perf_counter()
        for _ in range(loops):
            english(medicine)
        named = (time.perf_counter() - started) / loops * 1e6
    print(f"pieces: choosing and entering a language {chosen:.1f} us; a record's English name {named:.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        setup_django(Path(work))
        requests_bench(args.rounds, args.requests)
        pieces_bench()


if __name__ == "__main__":
    main()
