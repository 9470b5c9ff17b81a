"""The devtools app, installed in development and tests only."""

from __future__ import annotations

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development only: the demo camp (`seed_demo`), the development admin, their credentials.

    Installed when DJANGO_DEBUG is on (and in tests); production never loads it.
    """

    name = "devtools"
    verbose_name = "Development tools"
