"""The API's role checks: each view declares which roles may use each HTTP method."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import User


class RoleMatrixPermission(BasePermission):
    """Allow a request when the user holds a role the view grants for its method."""

    message = "Your role does not allow this action."

    def has_permission(self, request: Request, view: Any) -> bool:
        allowed = roles_for(view, request.method or "GET")
        if allowed is None:  # the view is public (login, refresh, health, schema)
            return True
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return bool(allowed & set(user.role_names()))


def user_of(request: Request | HttpRequest) -> User:
    """The signed-in user of a request that passed the role check."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def roles_for(view: Any, method: str) -> frozenset[str] | None:
    """The roles a view grants for a method; None means public, empty means nobody."""
    table = getattr(view, "allowed_roles", None)
    if table is None:
        return None
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return frozenset(table.get(method, ()))
