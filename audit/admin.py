"""Django admin base for audited models: history is browsed, never edited or reverted.

django-simple-history 3.13's history version page is a form, and a POST to it
reverts the record for any user who may merely *view* history (the Revert button
is hidden, the POST is not refused). Here that POST is refused for everybody and
logged; reverting, if ever wanted, is an ordinary change through the change form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from audit.events import emit
from core.errors import DomainError


class AuditedHistoryAdmin(SimpleHistoryAdmin):  # type: ignore[type-arg]
    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            audit_type = getattr(self.model, "audit_type", self.model._meta.model_name)
            emit(
                f"{audit_type}.revert",
                action="update",
                outcome="failure",
                reason="history_is_read_only",
                target={"type": audit_type, "id": object_id},
                details={"version_id": version_id},
                source="admin",
                message=f"refused a revert of {audit_type} {object_id} to version {version_id}",
            )
            raise PermissionDenied("History is read-only.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ServiceAdmin(AuditedHistoryAdmin):
    """An admin whose saves go through the app's services, so admin obeys the API's rules.

    Subclasses implement `create_via(request, form)` and `change_via(request, obj, changes)`,
    each returning the saved instance. A refused change (a `DomainError` from a service)
    rolls back, is logged with `source: admin`, and comes back to the form as an error.
    """

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        raise PermissionDenied("Records of this kind are not added here.")

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        raise PermissionDenied("Records of this kind are not changed here.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
            saved = self.change_via(request, obj, changes) if changes else obj
        else:
            saved = self.create_via(request, form)
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            audit_type = getattr(self.model, "audit_type", self.model._meta.model_name)
            emit(
                f"{audit_type}.{'update' if object_id else 'create'}",
                action="update" if object_id else "create",
                outcome="failure",
                reason=str(exc.get_codes()),
                target={"type": audit_type, "id": object_id} if object_id else None,
                details={"fields": exc.fields} if exc.fields else None,
                source="admin",
                message=f"admin change refused: {exc.detail}",
            )
            messages.error(request, f"Not saved: {exc.detail}")
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        adminform = context.get("adminform")
        form = adminform.form if adminform is not None else None
        if request.method == "POST" and form is not None and form.errors:
            # A form refusal (a field out of range, a constraint) is logged like an API 400.
            audit_type = getattr(self.model, "audit_type", self.model._meta.model_name)
            emit(
                f"{audit_type}.{'create' if add else 'update'}",
                action="create" if add else "update",
                outcome="failure",
                reason="invalid",
                target={"type": audit_type, "id": obj.pk} if obj is not None and obj.pk else None,
                details={"fields": {k: [str(m) for m in v] for k, v in form.errors.items()}},
                source="admin",
                message="admin form refused: " + "; ".join(form.errors),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records are kept: statuses end them, history remembers them


class ReadOnlyAdmin(AuditedHistoryAdmin):
    """Ledger rows (stock movements, dispenses) are written by services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]
