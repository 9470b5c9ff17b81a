"""The MultiLogger: one LOGGING dict that sends audit events to every sink.

console (text or JSON), a rotating JSONL file, and LogBull when LOGBULL_HOST and
LOGBULL_PROJECT_ID are set. Operational logs of the app go to the console and the file.
"""

from __future__ import annotations

import logging.config
from pathlib import Path
from typing import Any

from audit.logbull_wire import config_errors


def build_logging(
    *,
    log_file: Path,
    max_bytes: int,
    backups: int,
    console: str,
    sinks_enabled: bool,
    rotation: str = "size",
    logbull: dict[str, Any],
) -> dict[str, Any]:
    handlers: dict[str, Any] = {
        "stderr": {"class": "logging.StreamHandler", "formatter": "text", "level": "WARNING"},
    }
    audit_handlers: list[str] = []
    if sinks_enabled:
        if rotation == "external":
            # Several processes append to one file; logrotate rotates it and each process reopens it.
            handlers["file"] = {"class": "logging.handlers.WatchedFileHandler", "filename": str(log_file)}
        else:
            handlers["file"] = {
                "class": "logging.handlers.RotatingFileHandler",
                "filename": str(log_file),
                "maxBytes": max_bytes,
                "backupCount": backups,
            }
        handlers["file"].update({"encoding": "ascii", "formatter": "json"})
        audit_handlers.append("file")
        if console in ("text", "json"):
            handlers["console"] = {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": console,
            }
            audit_handlers.append("console")
        host, project = logbull.get("host", ""), logbull.get("project_id", "")
        # A malformed host or project id is reported by the audit system check, not half-used.
        if host and project and not config_errors(host, project):
            handlers["logbull"] = {"()": "audit.logbull.LogBullHandler", **logbull}
            audit_handlers.append("logbull")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": "audit.formatters.AuditJsonFormatter"},
            "text": {"()": "audit.formatters.AuditTextFormatter", "format": "%(levelname)s %(name)s %(message)s"},
        },
        "handlers": handlers,
        "loggers": {
            "medcamp.audit": {"handlers": audit_handlers, "level": "INFO", "propagate": False},
            "medcamp.logbull": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "medcamp": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }


def configure(config: dict[str, Any]) -> None:
    """LOGGING_CONFIG: create the file sink's directory, then apply the dict."""
    for handler in config.get("handlers", {}).values():
        filename = handler.get("filename")
        if filename:
            Path(filename).parent.mkdir(parents=True, exist_ok=True)
    logging.config.dictConfig(config)
    from audit.metrics import count_sinks

    count_sinks()
