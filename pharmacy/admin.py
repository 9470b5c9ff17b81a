"""Medicines, stock batches and the stock ledger in Django admin, saved through pharmacy.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.permissions import user_of
from audit.admin import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceForm
from pharmacy import selectors, services
from pharmacy.models import Medicine, StockBatch, StockMovement


class BatchInline(ReadOnlyInline):
    model = StockBatch
    fields = ("batch_no", "expiry_date", "quantity_received", "quantity_on_hand")


@admin.register(Medicine)
class MedicineAdmin(ServiceAdmin):
    list_display = ("name", "type", "formulation", "unit", "reorder_level", "stock", "active")
    list_filter = ("type", "active")
    search_fields = ("name", "formulation")
    fields = ("name", "type", "formulation", "unit", "reorder_level", "active")
    inlines = (BatchInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Medicine]:
        return selectors.with_stock(super().get_queryset(request))

    @admin.display(description=_("stock on hand (unexpired)"), ordering="stock_on_hand")
    def stock(self, medicine: Medicine) -> int:
        return int(getattr(medicine, "stock_on_hand", 0))

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        return services.medicine_create(by=user_of(request), **form.cleaned_data)

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        return services.medicine_update(by=user_of(request), medicine_id=obj.pk, **changes)


class BatchForm(ServiceForm):
    reason = forms.CharField(
        label=_("reason"),
        max_length=300,
        required=False,
        help_text=_("Why the count changes (required when adjusting stock)."),
    )

    class Meta:
        model = StockBatch
        fields = ("medicine", "batch_no", "expiry_date", "quantity_received", "quantity_on_hand")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk and "quantity_on_hand" in self.changed_data and not data.get("reason"):
            self.add_error("reason", _("Give the reason for the adjustment."))
        return data


@admin.register(StockBatch)
class StockBatchAdmin(ServiceAdmin):
    form = BatchForm
    list_display = ("batch_no", "medicine", "expiry_date", "quantity_received", "quantity_on_hand")
    list_filter = ("medicine__type", "expiry_date")
    search_fields = ("batch_no", "medicine__name")
    list_select_related = ("medicine",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("medicine", "batch_no", "expiry_date", "quantity_received")
        return ("medicine", "batch_no", "expiry_date", "quantity_received", "quantity_on_hand", "reason")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("medicine", "batch_no", "expiry_date", "quantity_received") if obj else ()

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        data = form.cleaned_data
        return services.batch_receive(
            by=user_of(request),
            medicine_id=data["medicine"].pk,
            batch_no=data["batch_no"],
            expiry_date=data["expiry_date"],
            quantity=data["quantity_received"],
        )

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        if "quantity_on_hand" not in changes:
            return obj
        return services.batch_adjust(
            by=user_of(request),
            batch_id=obj.pk,
            quantity_on_hand=changes["quantity_on_hand"],
            reason=obj.adjust_reason,
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.adjust_reason = form.cleaned_data.get("reason", "")  # per request, not on the shared admin
        super().save_model(request, obj, form, change)


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("at", "batch", "kind", "quantity", "reason", "by")
    list_filter = ("kind",)
    search_fields = ("batch__batch_no", "batch__medicine__name", "reason")
    list_select_related = ("batch", "by")
