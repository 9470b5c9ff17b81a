"""The auditors' screens read people and times: patient names, attempted usernames, camp time with its zone.

The store keeps ids (the audit app sits below the patients app), so the patients app
registers how a patient id reads (`register_patient_label`: a SQL expression, annotated on
the page's one query). A failed sign-in has no actor; its attempted username, from the
sealed JSON, is shown as attempted. Times are the camp's local time with seconds and the
zone on screen, and ISO 8601 with the UTC offset in the CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet, Subquery
from django.utils import timezone

from audit import event_types as E

PATIENT_LABEL: list[Callable[[], Subquery]] = []


def register_patient_label(expression: Callable[[], Subquery]) -> None:
    PATIENT_LABEL.append(expression)


def with_patient_labels(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The events with `patient_label` ("Sunita Devi (KP-114)") where an app says how to read one."""
    if not PATIENT_LABEL or "patient_label" in queryset.query.annotations:  # the admin's queryset has it
        return queryset
    return queryset.annotate(patient_label=PATIENT_LABEL[0]())


def attempted_username(name: str, outcome: str, data: str) -> str:
    """The username a refused sign-in tried, from the event's sealed JSON; "" for any other event."""
    if name != E.AUTH_LOGIN.name or outcome != "failure":
        return ""
    try:
        details = json.loads(data).get("details") or {}
    except (ValueError, AttributeError):
        return ""
    return str(details.get("username") or "")


def camp_time(moment: datetime) -> str:
    """On screen: the camp's local time, to the second, with its zone ("2026-12-02 13:37:32 IST")."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"


def csv_time(moment: datetime) -> str:
    """In the CSV: camp time in ISO 8601 with its UTC offset ("2026-12-02T13:37:32.006+05:30")."""
    return timezone.localtime(moment).isoformat(timespec="milliseconds")
