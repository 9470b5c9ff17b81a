"""Rules every consultations service shares: who may act on a doctor's records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import ADMIN
from core.error_codes import ErrorCode
from core.errors import Forbidden


def is_admin(by: User | None) -> bool:
    return by is None or by.has_role(ADMIN)  # None: a command or script acting as the system


WHATS = {"queue entry": _("queue entry"), "consultation": _("consultation"), "prescription": _("prescription")}


def ensure_own(by: User | None, doctor: User, what: str) -> None:
    """Refuse unless `by` is that doctor (or an admin)."""
    if is_admin(by) or (by is not None and by.pk == doctor.pk):
        return
    raise Forbidden(
        _("This %(what)s belongs to %(doctor)s, not to you."),
        params={"what": WHATS.get(what, what), "doctor": doctor.display_name()},
        code=ErrorCode.NOT_YOUR_PATIENT,
    )


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name(), "username": user.username}
