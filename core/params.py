"""Numbers and dates from the query string, within bounds, or a 400 in the error shape naming it.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as another number;
a number past what the database stores would reach it as an overflow, and one of more than
4,300 digits makes `int()` itself raise (Python's limit on converting long strings). A date
near year 9999 overflows the arithmetic done with it (a range's five years, its day after).
All stop here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.serializers import MAX_ID


def whole_number(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as a whole number when it is ASCII digits from low to high; else None."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > len(str(high)):
        return None
    return int(raw) if low <= int(raw) <= high else None


def whole_param(request: Any, name: str, low: int, high: int, *, an_id: bool = False) -> int | None:
    """An optional whole number in the query string, in ASCII digits from low to high, or a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    number = whole_number(raw, low, high)
    if number is None:
        if an_id:
            raise DomainError(
                _("%(name)s must be an id."), params={"name": name}, fields={name: [_("An id is required.")]}
            )
        raise DomainError(
            _("%(name)s must be a whole number from %(low)s to %(high)s."),
            params={"name": name, "low": low, "high": high},
            fields={name: [_("A whole number from %(low)s to %(high)s is required.")]},
        )
    return number


def int_param(request: Any, name: str) -> int | None:
    """An optional id in the query string, or a 400 in the error shape."""
    return whole_param(request, name, 0, MAX_ID, an_id=True)


# The dates any parameter may name: far enough apart for any camp, near enough that adding a
# range's years or a day to them stays within what `datetime.date` holds.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


def within_dates(value: dt.date) -> None:
    """A model field's validator: every date or datetime a person enters (a camp's day, a batch's
    expiry, a user's date joined) lies from EARLIEST to LATEST, as every date parameter does, so no
    stored date overflows later (year 1 moved to UTC is year 0, which no `datetime` reads back)."""
    day = value.date() if isinstance(value, dt.datetime) else value  # a datetime compares with no date
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("Enter a date from %(first)s to %(last)s."),
            code="date_out_of_range",
            params={"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
        )


def date_value(raw: str | None, name: str) -> dt.date:
    """`raw`, a date written YYYY-MM-DD from EARLIEST to LATEST, or a 400 naming the parameter `name`."""
    if not raw:
        raise _refused(name, _("Give the %(name)s date as YYYY-MM-DD."))
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        found = dt.date.fromisoformat(raw)
    except ValueError:
        raise _refused(name, _("%(name)s must be a date written YYYY-MM-DD, like 2026-12-02.")) from None
    if not EARLIEST <= found <= LATEST:
        raise _refused(name, _("%(name)s must be a date from %(first)s to %(last)s."))
    return found


def _refused(name: str, sentence: Any) -> DomainError:
    params = {"name": name, "first": EARLIEST.isoformat(), "last": LATEST.isoformat()}
    return DomainError(sentence, params=params, fields={name: [sentence]})


# Django admin hands `<field>__<lookup>=<value>` from the query string (its list filters, its date
# hierarchy) to Django, which fails on a year it cannot hold (9999 plus a year, year 1 moved to
# UTC) and on a part past what a C long holds (`date__day=99999999999999999999`: OverflowError).
# Each part a date or time lookup names is a whole number within its bounds (Django's docs,
# "Field lookups": week_day 1 (Sunday) to 7, iso_week_day 1 (Monday) to 7, week 1 to 53).
YEAR_LOOKUPS = ("year", "iso_year")
PART_BOUNDS = {
    "year": (EARLIEST.year, LATEST.year),
    "iso_year": (EARLIEST.year, LATEST.year),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
COMPARISONS = ("exact", "gt", "gte", "lt", "lte", "in", "range")
_LEADING_YEAR = re.compile(r"\s*(-?\d+)-")


def far_lookups(query: Any) -> dict[str, tuple[str, int, int]]:
    """The lookup parameters of a query (`date__year`, `date__day`, `timestamp__gte`) naming a part
    of a date past its bounds, each with the part (`year`, `day`) and its bounds: a part lookup's
    value (a list, for `__in` and `__range`), or the year a date or a datetime begins with."""
    far = {}
    for name, values in query.lists():
        part = lookup_part(name)
        if part is not None and any(_out_of_bounds(part, value) for value in values):
            far[name] = (part, *PART_BOUNDS[part])
        elif part is None and "__" in name and any(_far_year(value) for value in values):
            far[name] = ("year", EARLIEST.year, LATEST.year)
    return far


def lookup_part(name: str) -> str | None:
    """The part of a date a lookup names (`date__month`, `date__month__gte`: `month`), or None."""
    parts = name.split("__")[1:]
    if parts and parts[-1] in COMPARISONS and len(parts) > 1:
        parts.pop()
    return parts[-1] if parts and parts[-1] in PART_BOUNDS else None


def _out_of_bounds(part: str, value: str) -> bool:
    low, high = PART_BOUNDS[part]
    return any(whole_number(item.strip(), low, high) is None for item in value.split(","))


def _far_year(value: str) -> bool:
    years = [found[1] for item in value.split(",") if (found := _LEADING_YEAR.match(item))]
    return any(whole_number(year, EARLIEST.year, LATEST.year) is None for year in years)
