"""What the doctor sees of the patient on the consultation page: who, today's vitals, earlier visits.

Read-only blocks for ConsultationAdmin, built from rows the page loads once: the visit with
its patient and camp (the admin's queryset), today's vitals (one query) and the patient's
earlier visits with their diagnoses and medicines (one query and two prefetches). Vitals
outside the normal range are flagged by patients.flags, the one set of thresholds.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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
    return format_html(
        '<div class="patient-header"><strong>{}</strong>, {} years, {} &middot; book {} &middot; {}'
        "<br>Token {} at {} ({}) &middot; waiting since {} ({} min)</div>",
        patient.name,
        patient.age_years,
        patient.get_sex_display().lower(),
        patient.book_no,
        patient.area,
        visit.token_number,
        visit.camp.name,
        visit.camp.date.strftime("%d %b %Y"),
        timezone.localtime(since).strftime("%H:%M") if since else "-",
        waited,
    )


def todays_vitals(visit: Visit) -> SafeString:
    vitals = Vitals.objects.filter(visit=visit).first()
    if vitals is None:
        return format_html("<em>{}</em>", "No vitals recorded at this visit.")
    raised = flagged(vitals)
    readings = [
        ("BP", f"{vitals.bp_systolic}/{vitals.bp_diastolic} mmHg"),
        ("Pulse", f"{vitals.pulse} /min"),
        ("RBS", f"{vitals.rbs} mg/dL" if vitals.rbs is not None else "-"),
        ("SpO2", f"{vitals.spo2} %" if vitals.spo2 is not None else "-"),
        ("Temp", f"{vitals.temperature_c} °C" if vitals.temperature_c is not None else "-"),
        ("Weight", f"{vitals.weight_kg} kg" if vitals.weight_kg is not None else "-"),
        ("Height", f"{vitals.height_cm} cm" if vitals.height_cm is not None else "-"),
    ]
    cells = format_html_join(" · ", "{}: {}", readings)
    if not raised:
        return format_html('<div class="vitals">{}<br><span>{}</span></div>', cells, "Within the normal ranges.")
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
            v.camp.date.strftime("%d %b %Y"),
            v.camp.name,
            "; ".join(c.diagnosis for c in v.consultations.all() if c.diagnosis) or "-",
            ", ".join(f"{p.medicine} x {p.quantity}" for c in v.consultations.all() for p in c.prescriptions.all())
            or "-",
        )
        for v in earlier
    ]
    if not rows:
        return format_html("<em>{}</em>", "First visit: no earlier visits.")
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html(
        '<table class="earlier-visits"><tr><th>date</th><th>camp</th><th>diagnosis</th><th>medicines</th></tr>{}'
        "</table>",
        body,
    )
