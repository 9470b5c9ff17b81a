"""A report as it is served: what it covers, when and by whom it was made, its tables; and its audit events.

A report reads many patients' data in aggregate, so each view and each export is an audit event
(`report.viewed`, `report.exported` with the format), naming the camp or the range, never a patient.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from audit import event_types as E
from audit.events import actor_name, emit
from consultations.reports import sections
from consultations.reports.scope import Scope


def made(scope: Scope, by: Any) -> dict[str, Any]:
    """The report of `scope`: its header and its tables, JSON-native."""
    tables = sections.build(scope)
    camp, now = scope.camp, timezone.localtime()
    return {
        "title": scope.title(),
        "camp_id": None if camp is None else camp.pk,
        "first_day": scope.first,
        "last_day": scope.last,
        "location": (camp.location if camp is not None else scope.location) or None,
        "made_at": now.isoformat(timespec="seconds"),
        "made_at_shown": f"{date_format(now, 'd M Y, H:i:s')} (UTC{now.isoformat()[-6:]})",
        "made_by": actor_name(by),
        "tables": tables,
    }


def header(report: dict[str, Any]) -> list[list[Any]]:
    """The lines above each exported table: what, when, by whom (camp time, its UTC offset written)."""
    return [
        [gettext("MedCamp report"), report["title"]],
        [gettext("Made"), report["made_at"], gettext("by"), report["made_by"]],
    ]


def record_read(scope: Scope, *, source: str, export: str = "") -> None:
    """Log the view (or the export, in `export`'s format) of a report."""
    details: dict[str, Any] = {**scope.described()}
    with translation.override("en"):  # the trail is English: the title again, in English
        words = f"the report of {scope.title()}"
    if export:
        details["format"] = export
    emit(
        E.REPORT_EXPORTED if export else E.REPORT_VIEWED,
        source=source,
        scope={"camp_id": scope.camp.pk} if scope.camp is not None else None,
        details=details,
        message=f"exported {words} as {export}" if export else f"viewed {words}",
    )
