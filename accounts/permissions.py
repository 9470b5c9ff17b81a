"""The API's role checks: each view declares which roles may use each of its actions.

A viewset's `allowed_roles` is keyed by action name (`list`, `retrieve`, `create`,
`partial_update`, `destroy`, or an `@action`'s name); the few plain APIViews key it by
HTTP method. A view without `allowed_roles` is public; an action missing from it is
allowed to nobody.
"""

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
        allowed = roles_for(view, request.method or "GET", _action(view))
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


def _action(view: Any) -> str | None:
    action = getattr(view, "action", None)
    if action == "metadata":  # OPTIONS is answered to whoever may GET
        return getattr(view, "action_map", {}).get("get")
    return action


def roles_for(view: Any, method: str, action: str | None = None) -> frozenset[str] | None:
    """The roles a view grants for an action (or, on an APIView, a method); None means public."""
    table = getattr(view, "allowed_roles", None)
    if table is None:
        return None
    if action is not None:
        return frozenset(table.get(action, ()))
    if method in ("HEAD", "OPTIONS"):
        method = "GET"
    return frozenset(table.get(method, ()))
