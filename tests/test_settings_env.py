"""Settings helpers refuse a bad value loudly instead of guessing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_float, env_int, env_list


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


@pytest.mark.parametrize(
    ("reader", "raw"),
    [
        *[(env_bool, "maybe"), (env_int, "ten"), (env_int, "-1"), (env_float, "fast"), (env_float, "-0.5")],
        *[(env_float, "nan"), (env_float, "inf"), (env_float, "-inf")],  # float() takes them
    ],
)
def test_a_bad_value_is_refused_with_its_name(monkeypatch, reader, raw):
    monkeypatch.setenv("X_SETTING", raw)
    kwargs = {"minimum": 0} if reader is env_int else {}
    with pytest.raises(ImproperlyConfigured, match="X_SETTING"):
        reader("X_SETTING", 1, **kwargs) if reader is not env_bool else reader("X_SETTING")


def test_defaults_and_lists(monkeypatch):
    monkeypatch.delenv("X_MISSING", raising=False)
    assert env_int("X_MISSING", 7) == 7 and env_list("X_MISSING", ["a"]) == ["a"]
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    assert env_list("X_LIST", []) == ["a", "b", "c"]


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "MEDCAMP_TESTING", "DJANGO_DEBUG")}
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr


def test_the_development_secret_is_made_once_and_kept_private(tmp_path):
    from core.env import dev_secret

    path = tmp_path / "var" / "dev-secret-key"
    first = dev_secret(path)
    assert first.startswith("dev-") and len(first) > 40
    assert dev_secret(path) == first  # every process of `make run` signs with the same key
    assert path.stat().st_mode & 0o777 == 0o600
