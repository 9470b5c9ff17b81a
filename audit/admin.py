"""Django admin base for audited models: reads are logged, history is browsed, never reverted.

`AuditedReadsAdmin` logs reads in admin as the API's viewsets do: a record's change
page is `<type>.viewed` (with `patient_id`/`visit_id`/`camp_id` where it concerns a
patient), a changelist is `<type>.searched` (the query and every other parameter as filters,
masked as audit.sanitize says: over a model holding personal data each term by `masked_term`,
elsewhere a phone number where it stands; and the count) or `<type>.list_viewed`, a History
page `<type>.history_viewed`.

django-simple-history 3.13's history version page is a form, and a POST to it
reverts the record for any user who may merely *view* history (the Revert button
is hidden, the POST is not refused). Here that POST is refused for everybody and
logged; reverting, if ever wanted, is an ordinary change through the change form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from audit.catalogue import Kind
from audit.event_types import EVENTS
from audit.events import emit, scope_of, target_of
from audit.refusals import log_domain_refusal, log_refusal
from audit.sanitize import holds_personal_data, masked_search, masked_term
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.languages import english
from core.params import whole_number


def _audit_type(model: Any) -> str:
    return getattr(model, "audit_type", None) or model._meta.model_name


def _rendered(response: HttpResponse) -> dict[str, Any] | None:
    """The context of a page that was shown (not a redirect, not an error)."""
    context = getattr(response, "context_data", None)
    return context if response.status_code == 200 and isinstance(context, dict) else None


class AuditedReadsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Reads in admin are events, like reads through the API."""

    def read_event(self, record: Any, kind: Kind, message: str, details: dict[str, Any] | None = None) -> None:
        emit(
            EVENTS.of(_audit_type(self.model), kind),
            source="admin",
            target=target_of(record),
            scope=scope_of(record),
            details=details,
            message=message,
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        context = _rendered(response)
        record = context.get("original") if context and request.method == "GET" else None
        if record is not None:
            self.read_event(record, Kind.VIEWED, f"viewed {_audit_type(self.model)} {record.pk} in admin")
        return response

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = _rendered(response)
        changelist = context.get("cl") if context else None
        if changelist is not None:
            self._list_event(request, changelist)
        return response

    def _list_event(self, request: HttpRequest, changelist: Any) -> None:
        query = request.GET.get("q", "")
        personal = holds_personal_data(self.model)
        filters = {
            k: masked_term(str(v), personal=personal)
            for k, v in request.GET.items()
            if k not in ("q", "p", "o", "_changelist_filters")
        }
        details: dict[str, Any] = {"filters": filters, "count": changelist.result_count}
        if query:
            looked_in = self.get_search_fields(request)
            details["query"] = masked_term(query, personal=True) if personal else masked_search(query, looked_in)
        event = EVENTS.of(_audit_type(self.model), Kind.SEARCHED if query else Kind.LIST_VIEWED)
        emit(
            event,
            source="admin",
            details=details,
            message=f"{event.words} {english(self.model._meta.verbose_name_plural)}: {changelist.result_count}",
        )


class AuditedHistoryAdmin(AuditedReadsAdmin, SimpleHistoryAdmin):  # type: ignore[type-arg]
    def render_history_view(self, request: HttpRequest, template: Any, context: dict[str, Any], **kwargs: Any) -> Any:
        # simple-history renders the History page here once it has found the record and checked access.
        record = context.get("object")
        if template == self.object_history_template and record is not None:
            self.read_event(record, Kind.HISTORY_VIEWED, f"viewed the history of {_audit_type(self.model)} {record.pk}")
        return super().render_history_view(request, template, context, **kwargs)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "POST":
            audit_type = _audit_type(self.model)
            log_refusal(
                EVENTS.of(audit_type, Kind.REVERT),
                code=ErrorCode.HISTORY_IS_READ_ONLY,
                detail=f"a revert of {audit_type} {object_id} to version {version_id}",
                source="admin",
                target={"type": audit_type, "id": object_id},
                extra={"version_id": version_id},
            )
            raise PermissionDenied("History is read-only.")
        if whole_number(unquote(object_id)) is None or whole_number(version_id) is None:
            return self.no_such_record(request, f"{object_id}, version {version_id}")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None) -> Any:
        if whole_number(unquote(object_id)) is None:
            return self.no_such_record(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def no_such_record(self, request: HttpRequest, named: str) -> HttpResponse:
        """What Django admin answers for a record that is not there, for ids simple-history would hand
        to the database as they are ("²", "abc", a number past any id)."""
        name = self.opts.verbose_name
        self.message_user(request, f"There is no {name} with ID “{named}”.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:index"))


class ServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    """An admin form that checks uniqueness and constraints for the fields it changes only.

    An unchanged value passed those checks when it was saved, and the database's constraints
    still refuse a race; checking it again would query the row's table once more per save.
    """

    def _get_validation_exclusions(self) -> set[str]:
        excluded = set(super()._get_validation_exclusions())  # type: ignore[misc]  # not in the stubs
        if self.instance.pk is not None:
            excluded |= {name for name in self.fields if name not in self.changed_data}
        return excluded


class ServiceAdmin(AuditedHistoryAdmin):
    """An admin whose saves go through the app's services, so admin obeys the API's rules.

    Subclasses implement `create_via(request, form)` and `change_via(request, obj, changes)`,
    each returning the saved instance. A refused change (a `DomainError` from a service)
    rolls back, is logged with `source: admin`, and comes back to the form as an error.
    """

    form = ServiceForm

    def create_via(self, request: HttpRequest, form: Any) -> Any:
        raise PermissionDenied("Records of this kind are not added here.")

    def change_via(self, request: HttpRequest, obj: Any, changes: dict[str, Any]) -> Any:
        raise PermissionDenied("Records of this kind are not changed here.")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        # A save loads its row once, locked for the transaction changeform_view opens; the
        # service is handed that row (change_via) instead of loading it again.
        if request.method != "POST":
            return super().get_object(request, object_id, from_field)
        try:
            pk = self.model._meta.pk.to_python(object_id)
            shown = self.get_queryset(request)
            # The lock is taken on the model's own rows, not on the admin's queryset: PostgreSQL refuses
            # FOR UPDATE with GROUP BY (docs: SELECT, "The Locking Clause"), and a changelist queryset may
            # aggregate (a medicine's stock). The admin's queryset still decides which rows it may open.
            rows = self.model._default_manager.select_for_update(of=("self",))
            rows = rows.filter(pk=pk, pk__in=shown.filter(pk=pk).values("pk"))
            rows.query.select_related = shown.query.select_related  # the related rows it would have joined
            return rows.get()
        except (self.model.DoesNotExist, ValidationError, ValueError):
            return None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:  # the admin goes on with the form's instance: give it the saved values
            saved = self.create_via(request, form)
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding = False
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if changes:  # the service checks and changes `obj` itself, from its values as loaded
            obj.audit_restore()
            self.change_via(request, obj, changes)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            audit_type = _audit_type(self.model)
            log_domain_refusal(
                exc,
                EVENTS.attempt(audit_type, Kind.UPDATE if object_id else Kind.CREATE),
                source="admin",
                record={"type": audit_type, "id": object_id} if object_id else None,
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
            log_refusal(
                EVENTS.attempt(_audit_type(self.model), Kind.CREATE if add else Kind.UPDATE),
                code=ErrorCode.INVALID,
                detail="; ".join(form.errors),
                source="admin",
                record=obj if obj is not None and obj.pk else None,
                fields={k: [str(m) for m in v] for k, v in form.errors.items()},
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


class PatientTrailLink(AuditedHistoryAdmin):
    """A record page that links to its patient's audit trail, for those who may read the trail."""

    change_form_template = "admin/audit/trail_change_form.html"

    def trail_patient_id(self, record: Any) -> int | None:
        """The patient whose trail the page of `record` links to."""
        raise NotImplementedError

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        context = _rendered(response)  # the page is rendered later: the link joins its context now
        record = context.get("original") if context else None
        if record is not None and request.user.has_perm("audit.view_auditevent"):
            patient_id = self.trail_patient_id(record)
            if patient_id is not None:
                context["audit_trail_url"] = f"{reverse('admin:audit_auditevent_changelist')}?patient={patient_id}"  # type: ignore[index]
        return response


from audit import trail_admin  # noqa: E402, F401  (registers the event store's admin)
