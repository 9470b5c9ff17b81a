"""The volunteer's desk in Django admin: find or register a patient for the active camp (asking
the language of their slip), record vitals and send them to a doctor in one transaction,
ending with the token number. Every write logs the same events as the API, `source: admin`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from accounts.permissions import user_of
from accounts.selectors import doctors
from audit import event_types as E
from audit.catalogue import Kind
from audit.events import emit
from audit.refusals import log_domain_refusal
from audit.sanitize import masked_search
from camps.services import camp_next_book_no
from consultations import camp_day
from consultations.models import QueueEntry
from consultations.selectors import doctor_queue
from consultations.services import queue
from core.errors import DomainError
from core.languages import supported
from patients import services as patients
from patients.models import Patient, Visit
from patients.serializers import PatientSerializer, VitalsSerializer

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
        "language": _slip_language(request, camp),
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
        details={"query": masked_search(term, ("phone",)), "count": len(found), "door": "desk"},
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


def _slip_language(request: HttpRequest, camp: Any) -> str:
    """The desk's choice for the slip: as sent, else the returning patient's, else the camp's."""
    known = Patient.objects.filter(book_no=patients.normalize_book_no(request.GET.get("book_no", ""))).first()
    return (
        request.POST.get("preferred_language")
        or (known.preferred_language if known else "")
        or (camp.language if camp else settings.LANGUAGE_CODE)
    )


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
            chosen = supported(data.get("preferred_language"))
            if found is not None and chosen and chosen != found.preferred_language:  # asked again at the desk
                patients.patient_update(by=by, patient_id=found.pk, loaded=found, preferred_language=chosen)
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
