"""Django admin base for audited models: history is browsed, never edited or reverted.

django-simple-history 3.13's history version page is a form, and a POST to it
reverts the record for any user who may merely *view* history (the Revert button
is hidden, the POST is not refused). Here that POST is refused for everybody and
logged; reverting, if ever wanted, is an ordinary change through the change form.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from audit.events import emit


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
