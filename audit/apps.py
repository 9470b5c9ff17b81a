"""The audit app: registers its system check, history receivers, replay events, metrics and the
triggers that guard the trail after each migrate (audit.guards)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from audit import checks, clock, guards, history, metrics, replays  # noqa: F401  (registers the check and the receivers)
        from audit.events import built

        built.connect(metrics.on_event, dispatch_uid="audit.metrics")
        clock.install()  # each process compares its clock with the database's at its first connection
        post_migrate.connect(guards.after_migrate, sender=self, dispatch_uid="audit.guards")
