"""What a report covers: one camp, or the camps of a date range (optionally at a location).

Every input is checked here, once, for the API and the admin page alike: an unknown camp is
404, a junk date or one outside 1900 to 2999 (core.params.date_value), a range ending before
it starts, a range of more than five years or a junk location is 400, each in the error shape
with the field named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from camps.models import MedicalCamp
from core.error_codes import ErrorCode
from core.errors import DomainError
from core.params import EARLIEST, LATEST, date_value, whole_number

MAX_YEARS = 5
MAX_LOCATION = 200


@dataclass(frozen=True)
class Scope:
    """One camp (`camp` set) or a range; `start`/`end` bound the stock period in camp time."""

    camp: MedicalCamp | None
    first: dt.date
    last: dt.date
    location: str = ""

    # A range's days are bounded (core.params.date_value), a camp's own date is not: a camp dated
    # 9999-12-31 or 0001-01-01 has its stock period cut to EARLIEST..LATEST, whose day after and
    # whose midnight in UTC a datetime holds (it reports no stock; it was a 500).
    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(max(self.first, EARLIEST), dt.time.min))

    @property
    def end(self) -> dt.datetime:
        last = min(self.last, LATEST) + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(last, dt.time.min))

    def camps(self) -> QuerySet[MedicalCamp]:
        if self.camp is not None:
            return MedicalCamp.objects.filter(pk=self.camp.pk)
        found = MedicalCamp.objects.filter(date__gte=self.first, date__lte=self.last)
        return found.filter(location__folds=self.location) if self.location else found

    def described(self) -> dict[str, Any]:
        """What the report covers, as its audit event and its header say it (no patient in it)."""
        if self.camp is not None:
            return {"camp_id": self.camp.pk, "camp": self.camp.name, "date": self.first.isoformat()}
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "location": self.location or None}

    def title(self) -> str:
        if self.camp is not None:
            camp = self.camp
            return f"{camp.name}, {camp.location}, {date_format(camp.date, 'd M Y')}"
        span = {
            "first": date_format(self.first, "d M Y"),
            "last": date_format(self.last, "d M Y"),
            "location": self.location,
        }
        if self.location:
            return gettext("Camps from %(first)s to %(last)s at %(location)s") % span
        return gettext("Camps from %(first)s to %(last)s") % span


def _refused(field: str, sentence: Any, **params: Any) -> DomainError:
    return DomainError(sentence, params=params, code=ErrorCode.INVALID, fields={field: [sentence]})


def of_camp(camp_id: Any) -> Scope:
    """The report of one camp; 404 when there is no such camp."""
    pk = whole_number(str(camp_id), 1)
    camp = MedicalCamp.objects.filter(pk=pk).first() if pk is not None else None
    if camp is None:
        raise DomainError(_("There is no such camp."), code=ErrorCode.NOT_FOUND)
    return Scope(camp=camp, first=camp.date, last=camp.date)


def of_range(params: Any) -> Scope:
    """The report of a range `from`..`to` (both days included), at most five years, and a location."""
    first, last = date_value(params.get("from"), "from"), date_value(params.get("to"), "to")
    if last < first:
        raise _refused("to", _("The range ends before it starts: 'to' must be on or after 'from'."))
    try:
        limit = first.replace(year=first.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = first.replace(year=first.year + MAX_YEARS, day=28)
    if last >= limit:
        raise _refused("to", _("A report covers at most %(years)s years; ask for a shorter range."), years=MAX_YEARS)
    location = (params.get("location") or "").strip()
    if len(location) > MAX_LOCATION or not location.isprintable():
        raise _refused("location", _("A location is at most %(max)s printable characters."), max=MAX_LOCATION)
    return Scope(camp=None, first=first, last=last, location=location)
