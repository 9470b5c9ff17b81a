"""The catalogues: the docs are generated from them, and a camp day emits only what they declare."""

from __future__ import annotations

import pytest

from audit import docs
from audit.event_types import EVENTS
from core.error_codes import ErrorCode
from tests import catalogue_check
from tests.admin.test_camp_day_pages import camp_day, walk_in_admin, walk_through_api  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_docs_tables_are_generated_from_the_catalogues():
    assert docs.stale() == [], "run manage.py catalogue_docs"
    events_doc = (docs.ROOT / "docs" / "audit-events.md").read_text()
    api_doc = (docs.ROOT / "docs" / "api.md").read_text()
    assert all(f"`{entry.name}`" in events_doc for entry in EVENTS)
    assert all(f"| `{code}` | {code.status} |" in api_doc for code in ErrorCode)


def test_a_changed_catalogue_makes_the_docs_stale(monkeypatch):
    monkeypatch.setattr(EVENTS, "markdown", lambda: "| a table that differs |")
    assert docs.ROOT / "docs" / "audit-events.md" in docs.stale()


def test_a_camp_day_in_admin_and_through_the_api_emits_only_catalogued_events(camp_day, client_for, audit):  # noqa: F811
    walk_in_admin(camp_day)
    walk_through_api(camp_day, client_for)
    names = {event["event"] for event in audit.events}
    assert len(names) > 15 and all(name in EVENTS for name in names)
    problems = [p for event in audit.events for p in catalogue_check.conform(EVENTS[event["event"]], event)]
    assert problems == []


def test_an_event_outside_its_entry_is_reported():
    entry = EVENTS["visit.registered"]
    record = {"action": "read", "outcome": "failure", "target": {"type": "patient"}, "camp_id": 1}
    assert len(catalogue_check.conform(entry, record)) == 3
    assert catalogue_check.conform(entry, {"action": "create", "outcome": "success", "visit_id": 1}) == []


def test_the_schema_lists_every_error_code(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert schema["components"]["schemas"]["Error"]["properties"]["code"]["enum"] == [c.value for c in ErrorCode]
