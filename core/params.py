"""Whole numbers from the query string: ASCII digits within bounds, or a 400 in the error shape.

`str.isdigit()` accepts "²" and "٣", which `int()` then refuses or reads as another number;
a number past what the database stores would reach it as an overflow. Both stop here.
"""

from __future__ import annotations

from typing import Any

from core.errors import DomainError
from core.serializers import MAX_ID


def whole_number(raw: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """`raw` as a whole number when it is ASCII digits from low to high; else None."""
    if raw is None or not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        return None
    return int(raw)


def whole_param(request: Any, name: str, low: int, high: int, what: str = "") -> int | None:
    """An optional whole number in the query string, in ASCII digits from low to high, or a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if whole_number(raw, low, high) is None:
        what = what or f"a whole number from {low} to {high}"
        raise DomainError(f"{name} must be {what}.", fields={name: [f"{what[0].upper()}{what[1:]} is required."]})
    return int(raw)


def int_param(request: Any, name: str) -> int | None:
    """An optional id in the query string, or a 400 in the error shape."""
    return whole_param(request, name, 0, MAX_ID, "an id")
