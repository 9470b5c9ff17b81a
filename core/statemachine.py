"""Status machines are data: a transitions table and one function that refuses an illegal move."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.error_codes import ErrorCode
from core.errors import Conflict

Transitions = Mapping[str, frozenset[str]]


def check_transition(table: Transitions, current: str, new: str, *, what: Any) -> None:
    """Raise 409 invalid_transition unless `current -> new` is in the table."""
    if new == current:
        return
    allowed = table.get(current, frozenset())
    if new not in allowed:
        options = ", ".join(sorted(allowed)) or "-"
        raise Conflict(
            _("A %(what)s cannot move from %(current)s to %(new)s (allowed from %(current)s: %(options)s)."),
            params={"what": what, "current": current, "new": new, "options": options},
            code=ErrorCode.INVALID_TRANSITION,
            extra={"from": current, "to": new},
        )
