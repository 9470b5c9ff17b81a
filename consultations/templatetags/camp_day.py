"""The camp day at a glance on the admin index, for staff."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.roles import ADMIN, AUDITOR, DOCTOR
from consultations import camp_day as reads
from consultations.charts import hourly_bars

register = template.Library()


@register.inclusion_tag("admin/consultations/camp_day.html", takes_context=True)
def camp_day_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {"show": False}
    # Only a doctor has a queue of their own: "My queue" would be an empty list for anyone else.
    shown = {
        "show": True,
        "perms": context.get("perms"),
        "has_queue": user.has_role(DOCTOR),
        "has_reports": user.has_role(ADMIN, AUDITOR),
    }
    camp = reads.active_camp()
    if camp is None:
        return {**shown, "day": None}
    day = reads.camp_day(camp)
    return {**shown, "day": day, "chart": hourly_bars(day.hours)}
