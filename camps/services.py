"""Writes of medical camps."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.history import audited_save
from camps.models import MedicalCamp
from core.errors import one_or_404
from core.statemachine import check_transition


@transaction.atomic
def camp_create(*, by: User | None, name: str, date: date, location: str, **extra: Any) -> MedicalCamp:
    """Plan a camp."""
    camp = MedicalCamp(name=name, date=date, location=location, **extra)
    audited_save(camp, by=by)
    return camp


@transaction.atomic
def camp_update(*, by: User | None, camp_id: int, **changes: Any) -> MedicalCamp:
    """Partial update; a status change must follow planned -> active -> closed."""
    camp = one_or_404(MedicalCamp.objects.select_for_update(), camp_id)
    if "status" in changes:
        check_transition(MedicalCamp.TRANSITIONS, camp.status, changes["status"], what=_("camp"))
    for name, value in changes.items():
        setattr(camp, name, value)
    audited_save(camp, by=by)
    return camp


def camp_next_token(*, camp_id: int) -> int:
    """The next token number of a camp; callers hold a transaction.

    The UPDATE takes the camp row's lock (PostgreSQL) or the write lock (SQLite) before
    reading, so concurrent registrations get distinct, consecutive numbers.
    """
    MedicalCamp.objects.filter(pk=camp_id).update(last_token=F("last_token") + 1)
    return MedicalCamp.objects.filter(pk=camp_id).values_list("last_token", flat=True).get()


def camp_next_book_no(*, camp_id: int) -> str:
    """The camp's next book number for a patient without a booklet; callers hold a transaction.

    Race-free across app servers as tokens are: the UPDATE takes the camp row's lock first.
    """
    MedicalCamp.objects.filter(pk=camp_id).update(last_book_no=F("last_book_no") + 1)
    prefix, number = MedicalCamp.objects.filter(pk=camp_id).values_list("book_prefix", "last_book_no").get()
    return f"{(prefix or f'C{camp_id}').strip().upper()}-{number:04d}"
