"""The bottom package as a Django app (its model stores the answers of keyed writes)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The bottom package: installed for its management command (backup) and the stored answers
    of keyed writes (core.models.IdempotentAnswer)."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import db_limits, stats, text

        text.install()
        stats.install()
        db_limits.install()  # the per-request budget for the database
