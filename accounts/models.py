"""The user: a Django user whose roles are groups."""

from __future__ import annotations

from contextlib import suppress
from functools import cached_property
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ADMIN
from audit.history import AuditedHistory, AuditedModel
from core.languages import LanguageField
from core.params import within_dates


class User(AuditedModel, AbstractUser):
    """A MedCamp user; roles are Django groups (accounts.roles)."""

    audit_type = "user"
    audit_fields: ClassVar[tuple[str, ...] | None] = (
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "language",
    )

    # The language of the user's screens, applied at sign-in; the API's when the app asks for none.
    # Empty: none chosen yet, so the sign-in page's (the browser's or the last switch on this device).
    language = LanguageField(
        _("language"),
        blank=True,
        default="",
        db_default="",
        help_text=_("The language MedCamp's screens are shown in for this user."),
    )

    # Django's two, bounded as every date a person enters is (admin's user form shows both):
    # 0001-01-01 saved was read back as year 0, a 500 on each sign-in and list after it.
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now, validators=[within_dates])
    last_login = models.DateTimeField(_("last login"), blank=True, null=True, validators=[within_dates])

    class Meta:  # AuditedModel's Meta comes first in the bases: name the model as Django's user is named
        verbose_name = _("user")
        verbose_name_plural = _("users")

    # The password hash and login times never enter the history tables.
    history = AuditedHistory(excluded_fields=["password", "last_login"])

    def role_names(self) -> list[str]:
        """Role names, sorted; uses prefetched groups when present, read once per instance."""
        return list(self.roles)

    @cached_property
    def roles(self) -> tuple[str, ...]:
        """A superuser holds the admin role whatever their groups: `createsuperuser` makes a
        user that can use the API as an admin, as it can use Django admin."""
        names = {group.name for group in self.groups.all()}
        return tuple(sorted(names | {ADMIN} if self.is_superuser else names))

    def forget_roles(self) -> None:
        """Read the roles afresh next time (`del` is cached_property's documented reset)."""
        with suppress(AttributeError):
            del self.roles

    def check_password(self, raw_password: str) -> bool:
        """Django's check; a hash it upgrades on the way is saved as a rehash, not a password change."""
        from accounts.signals import password_rehash

        with password_rehash(self):
            return super().check_password(raw_password)

    def has_role(self, *roles: str) -> bool:
        return bool(set(roles) & set(self.role_names()))

    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name()
