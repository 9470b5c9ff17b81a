"""What the doctor sees of the patient on the consultation page: who, today's vitals, earlier visits.

Read-only blocks for ConsultationAdmin, built from rows the page loads once: the visit with
its patient and camp (the admin's queryset), today's vitals (one query) and the patient's
earlier visits with their diagnoses and medicines (one query and two prefetches). Vitals
outside the normal range are flagged by patients.flags, the one set of thresholds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format, localize, time_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from consultations.camp_day import minutes_since
from consultations.models import Consultation, Prescription
from patients.flags import flagged
from patients.models import Visit, Vitals

EARLIER_VISITS = 10


def header(consultation: Consultation) -> SafeString:
    visit = consultation.visit
    patient = visit.patient
    since = visit.queued_at or visit.registered_at
    waited = minutes_since(since) or 0
    who = gettext("%(age)s years, %(sex)s &middot; book %(book)s &middot; %(area)s")
    when = gettext("Token %(token)s at %(camp)s (%(date)s) &middot; waiting since %(since)s (%(minutes)s min)")
    values: dict[str, Any] = {
        "age": patient.age_years,
        "sex": patient.get_sex_display().lower(),
        "book": patient.book_no,
        "area": patient.area,
        "token": visit.token_number,
        "camp": visit.camp.name,
        "date": date_format(visit.camp.date, "d M Y"),
        "since": time_format(timezone.localtime(since)) if since else "-",
        "minutes": waited,
    }
    escaped = {key: conditional_escape(value) for key, value in values.items()}
    return format_html(
        '<div class="patient-header"><strong>{}</strong>, {}<br>{}</div>',
        patient.name,
        mark_safe(who % escaped),  # noqa: S308 - the values are escaped; the catalogue's words are ours
        mark_safe(when % escaped),  # noqa: S308
    )


def todays_vitals(visit: Visit) -> SafeString:
    vitals = Vitals.objects.filter(visit=visit).first()
    if vitals is None:
        return format_html("<em>{}</em>", gettext("No vitals recorded at this visit."))
    raised = flagged(vitals)
    readings = [
        (gettext("BP"), f"{vitals.bp_systolic}/{vitals.bp_diastolic} mmHg"),
        (gettext("Pulse"), gettext("%(pulse)s /min") % {"pulse": vitals.pulse}),
        (gettext("RBS"), f"{vitals.rbs} mg/dL" if vitals.rbs is not None else "-"),
        ("SpO2", f"{vitals.spo2} %" if vitals.spo2 is not None else "-"),
        (gettext("Temp"), f"{localize(vitals.temperature_c)} °C" if vitals.temperature_c is not None else "-"),
        (gettext("Weight"), f"{localize(vitals.weight_kg)} kg" if vitals.weight_kg is not None else "-"),
        (gettext("Height"), f"{localize(vitals.height_cm)} cm" if vitals.height_cm is not None else "-"),
    ]
    cells = format_html_join(" · ", "{}: {}", readings)
    if not raised:
        return format_html(
            '<div class="vitals">{}<br><span>{}</span></div>', cells, gettext("Within the normal ranges.")
        )
    flags = format_html_join(
        "", '<li class="vital-flag"><strong>{}</strong>: {}</li>', ((f.shown(vitals), f.words) for f in raised)
    )
    return format_html('<div class="vitals">{}<ul class="vital-flags">{}</ul></div>', cells, flags)


def earlier_visits(visit: Visit) -> SafeString:
    active = Prescription.objects.filter(status=Prescription.Status.ACTIVE).select_related("medicine")
    earlier = (
        Visit.objects.filter(patient_id=visit.patient_id, registered_at__lt=visit.registered_at)
        .select_related("camp")
        .prefetch_related(
            Prefetch(
                "consultations",
                queryset=Consultation.objects.prefetch_related(Prefetch("prescriptions", queryset=active)),
            )
        )
        .order_by("-camp__date", "-registered_at")[:EARLIER_VISITS]
    )
    rows = [
        (
            date_format(v.camp.date, "d M Y"),
            v.camp.name,
            "; ".join(c.diagnosis for c in v.consultations.all() if c.diagnosis) or "-",
            ", ".join(f"{p.medicine} x {p.quantity}" for c in v.consultations.all() for p in c.prescriptions.all())
            or "-",
        )
        for v in earlier
    ]
    if not rows:
        return format_html("<em>{}</em>", gettext("First visit: no earlier visits."))
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    head = format_html_join("", "<th>{}</th>", ((h,) for h in (_("date"), _("camp"), _("diagnosis"), _("medicines"))))
    return format_html('<table class="earlier-visits"><tr>{}</tr>{}</table>', head, body)
