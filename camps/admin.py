"""Camps in Django admin, saved through camps.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.permissions import user_of
from audit.admin import ServiceAdmin
from camps import services
from camps.models import MedicalCamp


@admin.register(MedicalCamp)
class CampAdmin(ServiceAdmin):
    list_display = ("name", "date", "location", "status", "expected_patients", "attended_patients")
    list_filter = ("status", "date")
    search_fields = ("name__folds", "location__folds")
    fields = ("name", "date", "location", "language", "book_prefix", "expected_patients", "attended_patients", "status")
    date_hierarchy = "date"

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        return services.camp_create(by=user_of(request), **form.cleaned_data)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return services.camp_update(by=user_of(request), camp_id=obj.pk, **changes)
