from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom package: installed for its management commands (backup), it has no models."""

    name = "core"
    verbose_name = "Core"
