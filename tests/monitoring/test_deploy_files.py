"""The shipped alert rules and Grafana dashboard: well-formed, and naming only metrics MedCamp serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"\bmedcamp_[a-z0-9_]+\b")
ALERTS = {
    "MedCampLogBullBacklogGrowing",
    "MedCampSealingStopped",
    "MedCampChainAlarm",
    "MedCampClockSkew",
    "MedCampLogBullRefusing",
    "MedCampShipperBehind",
    "MedCampServerErrors",
    "MedCampSlowRequests",
    "MedCampHealthFailing",
}

pytestmark = pytest.mark.django_db


def served(settings: Any) -> tuple[set[str], set[str]]:
    """(every series name /metrics can carry, the metric families) from its # TYPE lines, with
    LogBull's shipping on (its lag is measured only then)."""
    settings.AUDIT_SHIP = True  # pytest-django's `settings` puts it back
    text = Client().get("/metrics").content.decode()
    names, families = set(), set()
    for family, kind in re.findall(r"^# TYPE (medcamp_\w+) (\w+)$", text, re.MULTILINE):
        base = family.removesuffix("_total") if kind == "counter" else family
        families.add(base)
        names |= {base, f"{base}_total"} if kind == "counter" else {base}
        if kind == "histogram":
            names |= {f"{base}_bucket", f"{base}_count", f"{base}_sum"}
    return names, families


def test_the_alert_rules_are_well_formed_and_name_served_metrics(settings):
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    assert {rule["alert"] for rule in rules} == ALERTS
    names, _ = served(settings)
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
        used = set(NAMED.findall(rule["expr"]))
        assert used and used <= names, f"{rule['alert']} names {used - names}, which /metrics does not serve"


def test_the_dashboard_shows_every_metric_and_names_only_served_ones(settings):
    dashboard = json.loads((ROOT / "deploy/grafana/medcamp.json").read_text())
    assert dashboard["uid"] == "medcamp" and dashboard["panels"]
    names, families = served(settings)
    shown: set[str] = set()
    for panel in dashboard["panels"]:
        assert {"x", "y", "w", "h"} <= panel["gridPos"].keys()
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            used = set(NAMED.findall(target["expr"]))
            assert used and used <= names, f"{panel['title']} names {used - names}"
            shown |= used
    shown_families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in shown}
    assert families <= shown_families, families - shown_families
