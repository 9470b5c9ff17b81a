"""Formatters of the audit sinks: JSON (file, console in production) and readable text."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter


class AuditJsonFormatter(JsonFormatter):
    """One JSON object per line: the audit event as built, or a plain log record.

    ensure_ascii (python-json-logger's default) escapes every control and non-ASCII
    character, so a value can neither break the line nor forge another event.
    """

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        event = getattr(record, "audit", None)
        if event is not None:
            log_data.update(event)
            return
        log_data["timestamp"] = (
            datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        if record.exc_info:
            log_data["exc_info"] = self.formatException(record.exc_info)


class AuditTextFormatter(logging.Formatter):
    """One readable line per event for a developer's terminal; values are JSON-escaped."""

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "audit", None)
        if event is None:
            return super().format(record)
        actor = (event.get("actor") or {}).get("username", "-")
        parts = [
            event["timestamp"],
            event["level"],
            event["event"],
            event["outcome"],
            f"actor={actor}",
            json.dumps(event["message"]),
        ]
        for key in ("reason", "target", "changes", "fields"):
            if key in event:
                parts.append(f"{key}={json.dumps(event[key], default=str)}")
        return " ".join(parts)
