"""Users in Django admin, and admin's sign-in form, throttled and audited like the API's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import ManyToManyField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.permissions import user_of
from accounts.roles import ALL_ROLES
from accounts.services import user_assign_role, user_remove_role
from accounts.signin import SignInRefused, sign_in
from audit.admin import AuditedHistoryAdmin
from core.error_codes import ErrorCode


class SignInForm(AdminAuthenticationForm):
    """Admin's sign-in, throttled by the same counter as `POST auth/login/` (accounts.signin)."""

    def clean(self) -> dict[str, Any]:
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = sign_in(self.request, username, password)
            except SignInRefused as refused:
                raise self._refusal(refused) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def _refusal(self, refused: SignInRefused) -> forms.ValidationError:
        if refused.code != ErrorCode.THROTTLED:
            return self.get_invalid_login_error()
        minutes = -(-(refused.retry_after or 60) // 60)
        return forms.ValidationError(
            ngettext(
                "Too many failed sign-ins for this username from this address. Try again in %(minutes)d minute.",
                "Too many failed sign-ins for this username from this address. Try again in %(minutes)d minutes.",
                minutes,
            ),
            params={"minutes": minutes},
            code=ErrorCode.THROTTLED,
        )


admin.site.login_form = SignInForm


@admin.register(User)
class UserAdmin(AuditedHistoryAdmin, DjangoUserAdmin):  # type: ignore[misc]
    """Roles are granted and removed through the same services as the API, with the same events."""

    list_display = ("username", "first_name", "last_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    fieldsets = (  # Django's, with the user's language beside their name
        *(DjangoUserAdmin.fieldsets or ())[:1],
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "language")}),
        *(DjangoUserAdmin.fieldsets or ())[2:],
    )
    search_fields = ("username", "first_name", "last_name", "email")

    def formfield_for_manytomany(self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":  # only roles may be granted, as in the API
            kwargs["queryset"] = Group.objects.filter(name__in=ALL_ROLES).order_by("name")
            kwargs.setdefault("help_text", _("The user's roles. A role grants its permissions here and in the API."))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        chosen = form.cleaned_data.pop("groups", None)  # roles are not saved by the form
        super().save_related(request, form, formsets, change)
        if chosen is not None:
            self._set_roles(request, form.instance, {group.name for group in chosen})

    def _set_roles(self, request: HttpRequest, user: User, wanted: set[str]) -> None:
        by = user_of(request)
        held = {group.name for group in user.groups.all()}
        for role in sorted(wanted - held - set(user.role_names())):  # a superuser holds admin already
            user_assign_role(by=by, user=user, role=role)
        for role in sorted(held - wanted):
            user_remove_role(by=by, user=user, role=role)
