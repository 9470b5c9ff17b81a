"""Running a real camp: a laptop on a hotspot, local time, production settings that pass the deploy check."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from pharmacy.selectors import medicines, usable_batches
from tests import servers
from tests.factories import MedicineFactory, StockBatchFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def own_non_loopback_addresses() -> list[str]:
    """The machine's addresses as `ip` reports them (independently of the app's own lookup)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    found = re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    return [a for a in found if not ipaddress.ip_address(a).is_loopback]


def test_serving_on_all_interfaces_answers_a_phone_that_names_the_laptops_address(tmp_path: Path):
    addresses = own_non_loopback_addresses()
    assert addresses, "this machine has no non-loopback address to name"
    database = f"sqlite:///{tmp_path / 'camp.sqlite3'}"
    env = servers.app_env(database, tmp_path, MEDCAMP_ALL_INTERFACES="1")
    servers.manage(env, "migrate", "--noinput")
    server = servers.start(env, bind="0.0.0.0")  # noqa: S104 (what a camp laptop does; requests stay on loopback)
    try:
        loopback = server.url  # the request itself goes to 127.0.0.1
        port = loopback.rsplit(":", 1)[1]
        for address in addresses:
            answer = requests.get(f"{loopback}/api/v1/health/", headers={"Host": f"{address}:{port}"}, timeout=10)
            assert answer.status_code == 200, (address, answer.status_code)
        stranger = requests.get(f"{loopback}/api/v1/health/", headers={"Host": "evil.example"}, timeout=10)
        assert stranger.status_code == 400
    finally:
        server.stop()


# --- local time ---------------------------------------------------------------------------------
def at_utc(*args: int) -> mock._patch:
    return mock.patch("django.utils.timezone.now", return_value=dt.datetime(*args, tzinfo=dt.UTC))


@pytest.mark.django_db
def test_a_batch_expiring_today_is_usable_until_midnight_at_the_camp():
    medicine = MedicineFactory()
    StockBatchFactory(medicine=medicine, expiry_date=dt.date(2026, 3, 1), quantity_on_hand=40, quantity_received=40)
    with at_utc(2026, 3, 1, 18, 20):  # 23:50 on 1 March in India: still 1 March at the camp
        assert timezone.localdate() == dt.date(2026, 3, 1)
        assert usable_batches(medicine.pk).count() == 1
        assert medicines().get(pk=medicine.pk).stock_on_hand == 40
    with at_utc(2026, 3, 1, 18, 40):  # 00:10 on 2 March in India; still 1 March in UTC
        assert timezone.localdate() == dt.date(2026, 3, 2)
        assert usable_batches(medicine.pk).count() == 0
        assert medicines().get(pk=medicine.pk).stock_on_hand == 0


@pytest.mark.django_db
def test_admin_shows_camp_local_times():
    from patients import services

    admin = UserFactory(roles=["admin"])
    with at_utc(2026, 3, 1, 22, 7):  # 03:37 on 2 March at the camp
        patient = services.patient_create(by=admin, book_no="TZ-1", name="Asha", age_years=30, sex="female", area="x")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/patients/patient/{patient.pk}/history/").content.decode()
    assert "March 2, 2026, 3:37 a.m." in page
    assert "10:07 p.m." not in page


def test_time_zone_is_validated_and_documented(tmp_path: Path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinic.settings", "DJANGO_DEBUG": "1", "TIME_ZONE": "Mars/Olympus"}
    env.pop("MEDCAMP_TESTING", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "TIME_ZONE must be an IANA time zone" in done.stderr
    assert "`TIME_ZONE` | `Asia/Kolkata`" in (ROOT / "docs" / "configuration.md").read_text()


# --- production settings ------------------------------------------------------------------------
def documented_production_env() -> dict[str, str]:
    """The production environment docs/deployment.md lists, read from the doc itself."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    block = text.split("<!-- production-env:begin -->")[1].split("<!-- production-env:end -->")[0]
    pairs = re.findall(r"^export (\w+)=(\S+)", block, flags=re.M)
    assert len(pairs) >= 8
    return dict(pairs)


def test_the_documented_production_environment_passes_the_deploy_check(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MEDCAMP_", "AUDIT_", "LOGBULL_"))}
    env.update(documented_production_env())
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),  # the doc shows a placeholder
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "REDIS_URL": "",
            "AUDIT_LOG_FILE": str(tmp_path / "audit.jsonl"),
        }
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "no issues" in done.stdout


@pytest.mark.django_db
def test_an_older_password_hash_is_upgraded_to_argon2_at_next_sign_in(client_for, settings, audit):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = UserFactory(username="old_hash", roles=["doctor"])
    user.password = make_password("an-old-Passphrase-1", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    audit.clear()
    login = client_for().post(
        "/api/v1/auth/login/", {"username": "old_hash", "password": "an-old-Passphrase-1"}, format="json"
    )
    assert login.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert audit.named("user.password_changed") == []  # a new hash of the same password is no change
    rehashed = audit.one("user.password_rehashed")
    assert rehashed["target"] == {"type": "user", "id": user.pk} and "argon2" not in str(rehashed)
    me = client_for()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert me.get("/api/v1/auth/me/").status_code == 200  # the token issued with the new hash works


def test_static_files_get_hashed_names_and_a_long_cache(tmp_path: Path):
    static_root = tmp_path / "static"
    env = servers.app_env(
        f"sqlite:///{tmp_path / 'static.sqlite3'}", tmp_path, STATIC_MANIFEST="1", STATIC_ROOT=str(static_root)
    )
    servers.manage(env, "migrate", "--noinput")
    servers.manage(env, "collectstatic", "--noinput")
    assert (static_root / "staticfiles.json").is_file()
    server = servers.start(env)
    try:
        page = requests.get(f"{server.url}/admin/login/", timeout=10).text
        hashed = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)
        assert hashed, "the admin page links no hashed stylesheet"
        css = requests.get(server.url + hashed.group(1), timeout=10)
        assert css.status_code == 200
        assert "immutable" in css.headers["Cache-Control"] and "max-age=315360000" in css.headers["Cache-Control"]
    finally:
        server.stop()
