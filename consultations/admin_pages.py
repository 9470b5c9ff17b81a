"""Each role's day in Django admin: pages beyond the model tables, all writing through the services.

- the doctor's queue: "start" opens the consultation (consultation_open); the consultation
  page's "Save and complete" ends it (ConsultationAdmin.response_change), never a separate
  button that would drop what was typed;
- the pharmacist's pickup page for a visit (visit_dispense), refusals shown with nothing written;
- the volunteer's desk: find or register a patient for the active camp, record vitals and send
  them to a doctor in one transaction, ending with the token number;
- (the patient's printed slip is consultations.slip).
Every write logs the same events as the API, with `source: admin`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.permissions import user_of
from accounts.selectors import doctors
from audit import event_types as E
from audit.admin import masked_query
from audit.catalogue import EventType, Kind
from audit.events import emit, target_of
from audit.refusals import log_domain_refusal
from camps.services import camp_next_book_no
from consultations import camp_day
from consultations.models import Consultation, QueueEntry
from consultations.selectors import doctor_queue, left_to_hand_over
from consultations.services import consultation as consultations
from consultations.services import pickup, queue
from core.errors import DomainError
from patients import services as patients
from patients.models import Patient, Visit
from patients.serializers import PatientSerializer, VitalsSerializer


def _refused(request: HttpRequest, exc: DomainError, attempted: EventType, record: Any = None) -> None:
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
        _refused(request, exc, E.EVENTS.attempt("consultation", Kind.CREATE), {"type": "queue_entry", "id": entry_id})
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
        _refused(request, exc, E.EVENTS.attempt("visit", Kind.UPDATE), visit)
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
        _refused(request, exc, E.EVENTS.attempt("dispense", Kind.CREATE), visit)
        return False
    pickup.log_pickup(by, done, source="admin")
    messages.success(
        request,
        gettext("Handed over %(units)s units for token %(token)s.")
        % {"units": done.units, "token": visit.token_number},
    )
    return True


# --- the volunteer ---------------------------------------------------------------------------
PATIENT_FIELDS = ("book_no", "name", "age_years", "sex", "phone", "area", "preferred_language")


def desk(admin: ModelAdmin[Any], request: HttpRequest) -> HttpResponse:
    """Register a patient (new, or found by book number) for the active camp and record vitals."""
    if not (request.user.has_perm("patients.add_visit") and request.user.has_perm("patients.add_vitals")):
        raise PermissionDenied
    camp = camp_day.active_camp()
    context: dict[str, Any] = {
        **admin.admin_site.each_context(request),
        "title": gettext("Desk: register and record vitals"),
        "camp": camp,
        "doctors": doctors(),
        "values": request.POST if request.method == "POST" else {"book_no": request.GET.get("book_no", "")},
        "q": request.GET.get("q", ""),
        "errors": {},
        "opts": admin.model._meta,
        "sexes": Patient.Sex.choices,
        "priorities": QueueEntry.Priority.choices,
        "languages": settings.LANGUAGES,
        # The slip's language: asked at the desk, the camp's unless the patient reads another.
        "language": request.POST.get("preferred_language") or (camp.language if camp else settings.LANGUAGE_CODE),
    }
    if request.method == "GET" and request.GET.get("q", "").strip():
        context["found"] = _find(request, request.GET["q"].strip())
    if request.method == "POST" and camp is not None:
        visit = _register(request, camp.pk, context["errors"])
        if visit is not None:
            context.update(
                done=visit, title=gettext("Token %(token)s") % {"token": visit.token_number}, sent=_sent(visit)
            )
        context["page_errors"] = context["errors"].pop("page", [])
    return TemplateResponse(request, "admin/consultations/desk.html", context)


FOUND_AT_MOST = 20


def _find(request: HttpRequest, term: str) -> list[Patient]:
    """One box: a book number, part of a name (any script, any case), a phone number or an area."""
    digits = "".join(ch for ch in term if ch.isdigit())
    wanted = Q(book_no=patients.normalize_book_no(term)) | Q(name__folds=term) | Q(area__folds=term)
    if len(digits) >= 4:
        wanted |= Q(phone__contains=digits)
    found = list(Patient.objects.filter(wanted).order_by("name", "id")[:FOUND_AT_MOST])
    emit(
        E.EVENTS.of("patient", Kind.SEARCHED),
        source="admin",
        details={"query": masked_query(term, ("phone",)), "count": len(found), "door": "desk"},
        message=f"searched patients at the desk: {len(found)} found",
    )
    return found


def _sent(visit: Visit) -> dict[str, Any] | None:
    """Whom the patient was sent to, at what priority, and how many of that doctor's patients wait ahead."""
    entry = QueueEntry.objects.filter(visit=visit).select_related("doctor").order_by("-id").first()
    if entry is None:
        return None
    queue_now = list(doctor_queue(entry.doctor_id).values_list("pk", flat=True))
    ahead = queue_now.index(entry.pk) if entry.pk in queue_now else 0
    return {"doctor": entry.doctor.display_name(), "priority": entry.get_priority_display(), "ahead": ahead}


def _register(request: HttpRequest, camp_id: int, errors: dict[str, list[str]]) -> Visit | None:
    data, by = request.POST, user_of(request)
    book_no = patients.normalize_book_no(data.get("book_no", ""))
    found = Patient.objects.filter(book_no=book_no).first() if book_no else None
    here = Visit.objects.filter(patient=found, camp_id=camp_id).first() if found else None
    if here is not None:  # said before anything else: no vitals errors for someone already here
        errors["book_no"] = [
            gettext("%(name)s is already registered: token %(token)s, %(status)s.")
            % {"name": found.name, "token": here.token_number, "status": str(here.get_status_display()).lower()}  # type: ignore[union-attr]
        ]
        return None
    # Without a booklet, a new patient gets the camp's next book number, inside the transaction.
    give_number = not book_no
    fields = {k: data.get(k, "") for k in PATIENT_FIELDS} | ({"book_no": "PENDING"} if give_number else {})
    person = None if found else PatientSerializer(data=fields)
    vitals = VitalsSerializer(data={k: v for k, v in data.items() if k in VitalsSerializer.Meta.fields and v != ""})
    for serializer in (s for s in (person, vitals) if s is not None):
        if not serializer.is_valid():
            errors.update({k: [str(m) for m in v] for k, v in serializer.errors.items()})
    if errors:
        return None
    try:
        with transaction.atomic():
            if found is None and give_number:
                person.validated_data["book_no"] = _free_book_no(camp_id)  # type: ignore[union-attr]
            patient = found or patients.patient_create(by=by, **person.validated_data)  # type: ignore[union-attr]
            visit = patients.visit_register(by=by, patient_id=patient.pk, camp_id=camp_id, loaded=patient)
            patients.vitals_record(by=by, visit_id=visit.pk, loaded=visit, **vitals.validated_data)
            if data.get("doctor"):
                doctor, priority = int(data["doctor"]), data.get("priority", "normal")
                queue.queue_assign(by=by, visit_id=visit.pk, doctor_id=doctor, priority=priority, loaded=visit)
    except (DomainError, ValueError) as exc:
        if not isinstance(exc, DomainError):
            errors["doctor"] = [gettext("Choose a doctor from the list.")]
            return None
        # Logged once, with the patient it concerns; shown once, next to its field when it names one.
        attempted = E.EVENTS.attempt("visit", Kind.CREATE)
        log_domain_refusal(exc, attempted, source="admin", record=found, scope={"camp_id": camp_id})
        for field, messages_ in (exc.fields or {"page": [str(exc.detail)]}).items():
            errors[field if field in DESK_FIELDS else "page"] = [str(m) for m in messages_]
        return None
    return visit


def _free_book_no(camp_id: int) -> str:
    """The camp's next book number that no booklet already carries."""
    while Patient.objects.filter(book_no=(candidate := camp_next_book_no(camp_id=camp_id))).exists():
        pass
    return candidate


DESK_FIELDS = (*PATIENT_FIELDS, *VitalsSerializer.Meta.fields, "doctor", "priority")
