"""The patient's slip in the patient's language: each medicine's dose in words, when to take it
(pictograms for morning, afternoon and night), for how many days, and how.

The slip is the one instruction a patient keeps, so it is printed in the language asked at the
desk (the patient's preferred language, else the camp's), whatever language the person
printing it reads. Medicine names stay as the catalogue writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from audit import event_types as E
from consultations import camp_day
from consultations.admin_pages import read_event
from consultations.models import Prescription
from patients.models import Visit
from pharmacy.models import Medicine, form_label

SLOTS = tuple(Prescription.Slot)
# Doses said in words; a dose the table lacks is written in figures.
WORDS = {
    Fraction(1, 2): _("half"),
    Fraction(1): _("one"),
    Fraction(3, 2): _("one and a half"),
    Fraction(2): _("two"),
    Fraction(3): _("three"),
    Fraction(4): _("four"),
}
COUNTED = {Medicine.Type.TABLET, Medicine.Type.CAPSULE}
# The instructions a doctor writes most, printed in the patient's language; others as written.
INSTRUCTIONS = {
    "after food": _("after food"),
    "before food": _("before food"),
    "with food": _("with food"),
    "on an empty stomach": _("on an empty stomach"),
    "empty stomach": _("on an empty stomach"),
    "at bedtime": _("at bedtime"),
    "with water": _("with plenty of water"),
    "with plenty of water": _("with plenty of water"),
    "apply on the skin": _("apply on the skin"),
    "do not drive": _("do not drive after taking it"),
    "complete the course": _("complete the course"),
    "if needed": _("only if needed"),
    "sos": _("only if needed"),
}


def slip_language(visit: Visit) -> str:
    return visit.patient.preferred_language or visit.camp.language


def dose_words(medicine: Medicine, per_slot: Fraction | None) -> str:
    """'one tablet', 'half a tablet' in the active language; the medicine's form otherwise."""
    if per_slot is None or medicine.type not in COUNTED:
        return str(form_label(medicine.type))
    amount = str(WORDS.get(per_slot, f"{float(per_slot):g}"))
    if medicine.type == Medicine.Type.CAPSULE:
        noun = ngettext("capsule", "capsules", 2 if per_slot > 1 else 1)
    else:
        noun = ngettext("tablet", "tablets", 2 if per_slot > 1 else 1)
    return gettext("%(amount)s %(form)s") % {"amount": amount, "form": noun}


def per_slot(prescription: Prescription) -> Fraction | None:
    """Units per time taken: the quantity over days times slots, when it divides into halves."""
    taken = len(prescription.time_slots) * (prescription.days or 0)
    if not taken:
        return None
    dose = Fraction(prescription.quantity, taken)
    return dose if (dose * 2).denominator == 1 else None


@dataclass
class Line:
    """One medicine on the slip."""

    name: str
    slots: list[dict[str, Any]]
    days: str
    instructions: str
    quantity: int
    given: int


def instructions(text: str) -> str:
    return str(INSTRUCTIONS.get(" ".join(text.lower().split()).rstrip("."), text))


def lines(visit: Visit) -> list[Line]:
    """The slip's medicines, in the active language (call inside `translation.override`)."""
    out = []
    for consultation in visit.consultations.all():
        for p in consultation.prescriptions.all():
            dose = dose_words(p.medicine, per_slot(p))
            out.append(
                Line(
                    name=f"{p.medicine.name} {p.medicine.formulation}",
                    slots=[
                        {"key": slot.value, "label": slot.label, "taken": slot.value in p.time_slots, "dose": dose}
                        for slot in SLOTS
                    ],
                    days=ngettext("for %(days)s day", "for %(days)s days", p.days) % {"days": p.days} if p.days else "",
                    instructions=instructions(p.instructions) if p.instructions else "",
                    quantity=p.quantity,
                    given=p.quantity_dispensed,
                )
            )
    return out


def slip_page(admin: ModelAdmin[Any], request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = camp_day.slip(visit_id)
    if visit is None:
        raise Http404(gettext("No such visit."))
    if not admin.has_view_permission(request, visit):
        raise PermissionDenied
    read_event(visit, E.VISIT_SLIP_VIEWED, f"opened the printed slip of token {visit.token_number}")
    vitals = getattr(visit, "vitals", None)
    with translation.override(slip_language(visit)):  # the patient's language, not the reader's
        context = {"visit": visit, "vitals": vitals, "lines": lines(visit)}
        response = TemplateResponse(request, "admin/consultations/slip.html", context)
        response.render()
    response.headers["Content-Language"] = slip_language(visit)
    return response
