from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User
from audit.admin import AuditedHistoryAdmin


@admin.register(User)
class UserAdmin(AuditedHistoryAdmin, DjangoUserAdmin):  # type: ignore[misc]
    list_display = ("username", "first_name", "last_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff", "groups")
    search_fields = ("username", "first_name", "last_name", "email")
