"""The diff builder: only changed fields, JSON-native values, no false changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import models

from audit.diff import build_changes, meaningful_fields, to_json


class Priority(models.TextChoices):
    NORMAL = "normal", "Normal"
    URGENT = "urgent", "Urgent"


def test_only_changed_fields_with_old_and_new():
    old = {"name": "Asha", "age": 40, "area": "Kothur"}
    new = {"name": "Asha", "age": 41, "area": "Kothur East"}
    assert build_changes(old, new) == {"age": {"old": 40, "new": 41}, "area": {"old": "Kothur", "new": "Kothur East"}}


def test_no_change_is_an_empty_diff():
    assert build_changes({"a": 1}, {"a": 1}) == {}


def test_ignored_and_unlisted_fields_are_left_out():
    old = {"name": "A", "updated_at": 1, "notes": "x"}
    new = {"name": "B", "updated_at": 2, "notes": "y"}
    assert build_changes(old, new, ignore=["updated_at"], fields=["name", "updated_at"]) == {
        "name": {"old": "A", "new": "B"}
    }


def test_values_are_json_native():
    old = {"date": date(2026, 3, 1), "dose": Decimal("2.5"), "at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC)}
    new = {"date": date(2026, 3, 2), "dose": Decimal("5.0"), "at": None}
    assert build_changes(old, new) == {
        "date": {"old": "2026-03-01", "new": "2026-03-02"},
        "dose": {"old": "2.5", "new": "5.0"},
        "at": {"old": "2026-03-01T09:00:00+00:00", "new": None},
    }


def test_equal_decimals_written_differently_are_no_change():
    assert build_changes({"q": Decimal("5.0")}, {"q": Decimal("5.00")}) == {}


def test_enums_are_logged_as_their_stored_value():
    assert build_changes({"priority": Priority.NORMAL}, {"priority": Priority.URGENT}) == {
        "priority": {"old": "normal", "new": "urgent"}
    }
    assert to_json(Priority.URGENT) == "urgent"


def test_meaningful_fields_drop_empty_values_and_keep_false_and_zero():
    values = {"name": "Asha", "phone": "", "address": None, "tags": [], "age": 0, "pregnant": False, "id": 4}
    assert meaningful_fields(values, ignore=["id"]) == {"name": "Asha", "age": 0, "pregnant": False}
