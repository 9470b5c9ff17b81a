"""Reads of users."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import DOCTOR


def users() -> QuerySet[User]:
    """Users with their roles, by username."""
    return User.objects.prefetch_related("groups").order_by("username")


def doctors(*, include_inactive: bool = False) -> QuerySet[User]:
    """Users with the doctor role (active ones unless asked), for pickers, filters and checks."""
    found = User.objects.filter(groups__name=DOCTOR)
    return (found if include_inactive else found.filter(is_active=True)).order_by("username")
