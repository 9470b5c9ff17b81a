"""The accounts app: role permissions are synced after migrate; sign-in signals are connected."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import (
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            signals,
        )
        from accounts.roles import sync_role_permissions

        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")
        signals.connect()
