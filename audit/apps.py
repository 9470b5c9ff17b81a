"""The audit app: registers its system check, history receivers and replay events at start."""

from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import checks, history, replays  # noqa: F401  (registers the check and the receivers)
