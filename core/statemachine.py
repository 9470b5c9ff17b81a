"""Status machines are data: a transitions table and one function that refuses an illegal move."""

from __future__ import annotations

from collections.abc import Mapping

from core.error_codes import ErrorCode
from core.errors import Conflict

Transitions = Mapping[str, frozenset[str]]


def check_transition(table: Transitions, current: str, new: str, *, what: str) -> None:
    """Raise 409 invalid_transition unless `current -> new` is in the table."""
    if new == current:
        return
    allowed = table.get(current, frozenset())
    if new not in allowed:
        options = ", ".join(sorted(allowed)) or "none"
        raise Conflict(
            f"A {what} cannot move from {current} to {new} (allowed from {current}: {options}).",
            code=ErrorCode.INVALID_TRANSITION,
            extra={"from": current, "to": new},
        )
