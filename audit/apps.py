"""The audit app: registers its system check, history receivers, replay events and metrics at start."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from audit import checks, history, metrics, replays  # noqa: F401  (registers the check and the receivers)
        from audit.events import built

        built.connect(metrics.on_event, dispatch_uid="audit.metrics")
