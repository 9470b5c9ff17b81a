"""An audit event's shape, its context, and its way to every sink (redacted, masked, one line)."""

from __future__ import annotations

import io
import json
import logging
from decimal import Decimal

import pytest
from django.core.management import call_command

from audit import event_types as E
from audit import events
from audit.catalogue import Catalogue, UnknownEvent
from audit.event_types import EVENTS
from audit.formatters import AuditJsonFormatter, AuditTextFormatter
from audit.logbull import LogBullHandler
from audit.sanitize import is_secret_key, mask, scrub

KEYS = {"event_id", "timestamp", "level", "event", "action", "outcome", "actor", "request", "source", "message"}


def test_an_event_outside_a_request_is_a_command_event(db, audit):
    record = events.emit(E.CAMP_CLOSED, target={"type": "camp", "id": 3}, scope={"camp_id": 3})
    assert set(record) >= KEYS
    assert record["request"] is None and record["actor"] is None
    assert record["source"] == "command"
    assert record["camp_id"] == 3
    assert record["timestamp"].endswith("Z") and len(record["timestamp"]) == 24  # ms precision
    assert audit.events == [record]


def test_an_event_carries_the_request_and_the_jwt_user(client_for, doctor, audit):
    client_for(doctor).post("/api/v1/auth/logout/", {}, format="json", HTTP_X_REQUEST_ID="abc-123")
    event = audit.one("auth.logout")
    assert event["request"] == {"id": "abc-123", "method": "POST", "path": "/api/v1/auth/logout/", "ip": "127.0.0.1"}
    assert event["actor"] == {"id": doctor.pk, "username": "dr_rao", "roles": ["doctor"]}


def test_unknown_events_actions_or_sources_are_programming_errors():
    with pytest.raises(TypeError):
        events.build_event("patient.viewed")  # a name, not a catalogue entry
    with pytest.raises(UnknownEvent):
        EVENTS.of("patient", "frobnicated")
    with pytest.raises(ValueError):
        Catalogue().declare("x.y", action="frobnicate", meaning="")
    with pytest.raises(ValueError):
        events.build_event(E.PATIENT_VIEWED, source="elsewhere")


def test_one_event_reaches_every_sink_with_the_same_keys(db, audit, audit_file, settings):
    """console (JSON), the JSONL file and LogBull receive the same event."""
    console = io.StringIO()
    handler = logging.StreamHandler(console)
    handler.setFormatter(AuditJsonFormatter())
    logger = logging.getLogger("medcamp.audit")
    logger.addHandler(handler)
    try:
        record = events.emit(E.PATIENT_VIEWED, target={"type": "patient", "id": 9}, scope={"patient_id": 9})
    finally:
        logger.removeHandler(handler)
    from_console = json.loads(console.getvalue())
    from_file = [line for line in audit_file() if line.get("event_id") == record["event_id"]]
    logbull = next(h for h in logger.handlers if isinstance(h, LogBullHandler))
    logbull.flush()
    server = settings.SESSION_LOGBULL
    assert server.wait_for(1)
    from_logbull = [i for i in server.items if i["fields"].get("event_id") == record["event_id"]]
    assert from_console == record
    assert from_file == [record]
    assert len(from_logbull) == 1
    assert from_logbull[0]["fields"] == record
    assert from_logbull[0]["level"] == "INFO" and from_logbull[0]["message"] == record["message"]
    from audit.models import AuditEvent  # the fourth sink: the store holds the same JSON

    stored = AuditEvent.objects.get(event_id=record["event_id"])
    assert stored.payload() == record
    assert (stored.event, stored.patient_id, stored.target_type, stored.target_id) == (
        "patient.viewed",
        9,
        "patient",
        "9",
    )


def test_text_console_is_one_readable_line_per_event():
    record = events.build_event(E.PATIENT_UPDATED, changes={"name": {"old": "A\nB", "new": "C"}})
    line = AuditTextFormatter().format(logging.makeLogRecord({"audit": record}))
    assert "\n" not in line and "patient.updated success actor=-" in line and '"A\\nB"' in line


def test_secrets_are_redacted_wherever_their_key_appears():
    data = {
        "password": "p",
        "new_password1": "p",
        "refresh": "t",
        "Authorization": "Bearer x",
        "x-api-key": "k",
        "nested": [{"access": "a", "token_number": 14}],
    }
    clean = scrub(data)
    assert clean["password"] == clean["new_password1"] == clean["refresh"] == "[redacted]"
    assert clean["Authorization"] == clean["x-api-key"] == "[redacted]"
    assert clean["nested"] == [{"access": "[redacted]", "token_number": 14}]
    assert not is_secret_key("token_number") and is_secret_key("api_key")


def test_sensitive_fields_are_masked_but_a_change_stays_visible():
    record = events.build_event(
        E.PATIENT_UPDATED,
        changes={"phone": {"old": "9876543210", "new": "9876500000"}, "name": {"old": "A", "new": "B"}},
        fields={"address": "12 Temple Street"},
    )
    phone = record["changes"]["phone"]
    assert phone["old"] != phone["new"]
    assert "98765" not in json.dumps(record)
    assert phone["old"].startswith("***10#") and phone["new"].startswith("***00#")
    assert record["fields"]["address"] == mask("12 Temple Street") != "12 Temple Street"
    assert record["changes"]["name"] == {"old": "A", "new": "B"}


def test_long_values_are_cut(settings):
    settings.AUDIT_MAX_VALUE_CHARS = 100
    record = events.build_event(E.PATIENT_VIEWED, details={"note": "z" * 10_000})
    assert record["details"]["note"].startswith("z" * 100) and record["details"]["note"].endswith("more chars]")


@pytest.mark.parametrize(
    "value",
    [
        "line1\nline2",
        '\r\n{"event": "auth.login", "outcome": "success"}\n',
        "\x1b[31mred\x1b[0m",
        "sep\u2028and\u2029para\x85",
        "bad \udcff surrogate",
    ],
)
def test_no_value_breaks_a_line_or_forges_an_event(value):
    record = events.build_event(E.PATIENT_UPDATED, changes={"name": {"old": value, "new": "x"}})
    line = AuditJsonFormatter().format(logging.makeLogRecord({"audit": record}))
    assert len(line.splitlines()) == 1
    assert line.isascii()
    assert json.loads(line)["changes"]["name"]["old"] == value


def test_decimals_and_dates_are_json_native():
    from datetime import date

    record = events.build_event(E.PATIENT_VIEWED, details={"dose": Decimal("2.50"), "on": date(2026, 1, 2)})
    line = AuditJsonFormatter().format(logging.makeLogRecord({"audit": record}))
    assert json.loads(line)["details"] == {"dose": "2.50", "on": "2026-01-02"}


def test_management_commands_run_with_source_command(
    db, audit, settings, django_capture_on_commit_callbacks, tmp_path, monkeypatch
):
    settings.DEBUG = True
    from devtools import credentials as devcredentials

    monkeypatch.setattr(devcredentials, "path", lambda: tmp_path / "credentials.txt")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ensure_dev_admin", stdout=io.StringIO())
    created = audit.one("user.created")
    assert created["source"] == "command" and created["request"] is None


def test_file_rotation_can_be_left_to_logrotate(tmp_path):
    from audit.logging_config import build_logging

    options = {"max_bytes": 1024, "backups": 2, "console": "off", "sinks_enabled": True, "logbull": {}}
    own = build_logging(log_file=tmp_path / "a.jsonl", **options)
    external = build_logging(log_file=tmp_path / "a.jsonl", rotation="external", **options)
    assert own["handlers"]["file"]["class"] == "logging.handlers.RotatingFileHandler"
    assert external["handlers"]["file"]["class"] == "logging.handlers.WatchedFileHandler"
    assert "maxBytes" not in external["handlers"]["file"]
