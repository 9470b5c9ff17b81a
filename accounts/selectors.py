"""Reads of users."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User


def users() -> QuerySet[User]:
    """Users with their roles, by username."""
    return User.objects.prefetch_related("groups").order_by("username")
