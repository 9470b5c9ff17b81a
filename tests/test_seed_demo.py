"""seed_demo builds a consistent demo camp through the services, repeatably."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from consultations.models import Dispense
from patients.models import Visit
from pharmacy.models import StockBatch


@pytest.fixture
def credentials(tmp_path, monkeypatch):
    from devtools import credentials as devcredentials

    monkeypatch.setattr(devcredentials, "path", lambda: tmp_path / "credentials.txt")
    return tmp_path / "credentials.txt"


def test_seed_demo_builds_every_stage_and_is_idempotent(db, settings, credentials, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", patients=60, seed=7, stdout=out)
    stages = dict(Visit.objects.values_list("status").annotate(n=Count("id")))
    assert sum(stages.values()) == 60
    assert set(stages) == {
        "registered",
        "vitals_recorded",
        "queued",
        "in_consultation",
        "consulted",
        "dispensed",
        "completed",
    }
    assert not StockBatch.objects.filter(quantity_on_hand__lt=0).exists()
    assert Dispense.objects.exists()
    text = out.getvalue()
    for role in ("doctor", "pharmacist", "volunteer", "counsellor", "auditor"):
        assert role in text
    saved = credentials.read_text()
    assert "dr_rao" in saved and saved.split("dr_rao ")[1].split()[0] in text
    again = io.StringIO()
    call_command("seed_demo", patients=60, seed=7, stdout=again)
    assert "already seeded" in again.getvalue() and Visit.objects.count() == 60


def test_seed_demo_refuses_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", patients=5)
