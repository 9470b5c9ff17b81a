"""Each role's day in Django admin: pages beyond the model tables, all writing through the services.

- the doctor's queue: "start" opens the consultation (consultation_open); the consultation
  page's "Save and complete" ends it (ConsultationAdmin.response_change), never a separate
  button that would drop what was typed;
- the pharmacist's pickup page for a visit (visit_dispense), refusals shown with nothing written;
- (the volunteer's desk is consultations.admin_desk, the patient's printed slip consultations.slip).
Every write logs the same events as the API, with `source: admin`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.permissions import user_of
from audit import event_types as E
from audit.catalogue import EventType, Kind
from audit.events import emit, target_of
from audit.refusals import log_domain_refusal
from consultations import camp_day
from consultations.models import Consultation, QueueEntry
from consultations.selectors import left_to_hand_over
from consultations.services import consultation as consultations
from consultations.services import pickup
from core.errors import DomainError
from patients import services as patients
from patients.models import Visit


def refused(request: HttpRequest, exc: DomainError, attempted: EventType, record: Any = None) -> None:
    """A refusal on a page: shown to the user and logged through the one refusal path."""
    log_domain_refusal(exc, attempted, source="admin", record=record)
    messages.error(request, gettext("Not done: %(why)s") % {"why": exc.detail})


def read_event(visit: Visit, event: EventType, message: str, details: dict[str, Any] | None = None) -> None:
    emit(
        event,
        source="admin",
        target=target_of(visit),
        scope=visit.audit_scope(),
        details=details,
        message=message,
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target)


# --- the doctor ------------------------------------------------------------------------------
@require_POST
def start(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Take the patient of a queue entry: it goes to in consultation and its consultation opens."""
    queue_url = reverse("admin:consultations_queueentry_changelist")
    existing = Consultation.objects.filter(queue_entry_id=entry_id).values_list("pk", flat=True).first()
    if existing is not None:
        return HttpResponseRedirect(reverse("admin:consultations_consultation_change", args=[existing]))
    try:
        with transaction.atomic():  # the entry is loaded and locked once, here, for the service
            entry = get_object_or_404(QueueEntry.objects.select_for_update().select_related("doctor"), pk=entry_id)
            opened = consultations.consultation_open(by=user_of(request), queue_entry_id=entry_id, loaded=entry)
    except DomainError as exc:
        refused(request, exc, E.EVENTS.attempt("consultation", Kind.CREATE), {"type": "queue_entry", "id": entry_id})
        return _back(request, queue_url)
    return HttpResponseRedirect(reverse("admin:consultations_consultation_change", args=[opened.pk]))


# --- the pharmacist --------------------------------------------------------------------------
def pickup_page(admin: ModelAdmin[Any], request: HttpRequest, visit_id: int) -> HttpResponse:
    """What a visit has to pick up; a POST hands it over (the visit loaded once, locked, for the service)."""
    visits = Visit.objects.select_related("patient", "camp")
    with transaction.atomic():
        if request.method == "POST":
            visits = visits.select_for_update(of=("self",))
        visit = get_object_or_404(visits, pk=visit_id)
        if not admin.has_view_permission(request, visit):
            raise PermissionDenied
        may_dispense = request.user.has_perm("consultations.add_dispense")
        if request.method == "POST":
            if not may_dispense:
                raise PermissionDenied
            if "close" in request.POST:
                return _close(request, visit)
            if _dispense(request, visit):
                return HttpResponseRedirect(request.path)
    lines = camp_day.pickup_page(visit)
    read_event(visit, E.VISIT_PICKUP_VIEWED, f"viewed the pickup of visit {visit.pk} in admin", {"count": len(lines)})
    context = {
        **admin.admin_site.each_context(request),
        "title": gettext("Pickup: token %(token)s, %(patient)s")
        % {"token": visit.token_number, "patient": visit.patient.name},
        "visit": visit,
        "lines": lines,
        "may_dispense": may_dispense,
        "to_hand_over": any(line["status"] == "active" and line["remaining"] for line in lines),
        "open": visit.status not in patients.CLOSED_VISIT,
        "next_visit": next_for_pickup(visit),
        "opts": admin.model._meta,
    }
    return TemplateResponse(request, "admin/consultations/pickup.html", context)


def next_for_pickup(after: Visit) -> Visit | None:
    """The patient who has waited longest for a pickup, other than this one."""
    waiting = Visit.objects.filter(status=Visit.Status.CONSULTED).exclude(pk=after.pk).select_related("patient")
    return waiting.order_by("consulted_at", "id").first()


def _close(request: HttpRequest, visit: Visit) -> HttpResponse:
    """A visit with nothing left to hand over is closed here: completed, audited like any visit move."""
    if left_to_hand_over(visit):  # one query: no stock lookups to decide this
        messages.error(request, gettext("Not done: there are medicines left to hand over; dispense them first."))
        return HttpResponseRedirect(request.path)
    try:
        patients.visit_set_status(by=user_of(request), visit_id=visit.pk, status=Visit.Status.COMPLETED, loaded=visit)
    except DomainError as exc:
        refused(request, exc, E.EVENTS.attempt("visit", Kind.UPDATE), visit)
        return HttpResponseRedirect(request.path)
    messages.success(
        request,
        gettext("Token %(token)s (%(patient)s) closed: nothing to dispense.")
        % {"token": visit.token_number, "patient": visit.patient.name},
    )
    following = next_for_pickup(visit)
    if following is not None:
        return HttpResponseRedirect(reverse("admin:patients_visit_pickup", args=[following.pk]))
    return HttpResponseRedirect(reverse("admin:patients_visit_changelist") + "?pickup=waiting")


def _dispense(request: HttpRequest, visit: Visit) -> bool:
    items = []
    for key in request.POST:
        value = str(request.POST.get(key, "")).strip()
        if key.startswith("quantity-") and value not in ("", "0"):
            if not (value.isascii() and value.isdigit() and key.removeprefix("quantity-").isdigit()):
                messages.error(request, gettext("Not done: quantities are whole numbers."))
                return False
            items.append(pickup.Item(int(key.removeprefix("quantity-")), int(value)))
    if not items:
        messages.error(request, gettext("Not done: enter a quantity for at least one medicine."))
        return False
    by = user_of(request)
    try:
        done = pickup.visit_dispense(by=by, visit_id=visit.pk, items=items, loaded=visit)
    except DomainError as exc:
        refused(request, exc, E.EVENTS.attempt("dispense", Kind.CREATE), visit)
        return False
    pickup.log_pickup(by, done, source="admin")
    messages.success(
        request,
        gettext("Handed over %(units)s units for token %(token)s.")
        % {"units": done.units, "token": visit.token_number},
    )
    return True
