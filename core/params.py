"""Whole numbers from the query string: ASCII digits within bounds, or a 400 in the error shape.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as another number;
a number past what the database stores would reach it as an overflow. Both stop here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.serializers import MAX_ID


def whole_number(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as a whole number when it is ASCII digits from low to high; else None."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        return None
    return int(raw)


def whole_param(request: Any, name: str, low: int, high: int, *, an_id: bool = False) -> int | None:
    """An optional whole number in the query string, in ASCII digits from low to high, or a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if whole_number(raw, low, high) is None:
        if an_id:
            raise DomainError(
                _("%(name)s must be an id."), params={"name": name}, fields={name: [_("An id is required.")]}
            )
        raise DomainError(
            _("%(name)s must be a whole number from %(low)s to %(high)s."),
            params={"name": name, "low": low, "high": high},
            fields={name: [_("A whole number from %(low)s to %(high)s is required.")]},
        )
    return int(raw)


def int_param(request: Any, name: str) -> int | None:
    """An optional id in the query string, or a 400 in the error shape."""
    return whole_param(request, name, 0, MAX_ID, an_id=True)
