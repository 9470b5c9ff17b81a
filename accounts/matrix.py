"""The role matrix (role x endpoint x method), read from the views' `allowed_roles`.

docs/roles.md holds the same table; a test fails when the two differ, and
`manage.py role_matrix --write` regenerates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from accounts.permissions import roles_for
from accounts.roles import ALL_ROLES

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    view: Any
    roles: frozenset[str] | None  # None: public

    def allows(self, role: str | None) -> bool:
        if self.roles is None:
            return True
        return role is not None and role in self.roles


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def readable(path: str) -> str:
    """A router's regular expression as api.md writes paths: `^users/(?P<pk>[0-9]+)/$` -> `users/{pk}/`."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    return path.replace("^", "").replace("$", "")


def routes() -> list[Route]:
    out = []
    for path, callback in _walk(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if not path.startswith(API_PREFIX) or view_class is None:
            continue
        actions: dict[str, str] = getattr(callback, "actions", None) or {}
        for method in METHODS:
            action = actions.get(method.lower())
            if action is None and (actions or not hasattr(view_class, method.lower())):
                continue
            roles = roles_for(view_class, method, action)
            out.append(Route(readable(path.removeprefix(API_PREFIX)), method, view_class, roles))
    return out


def markdown() -> str:
    header = "| endpoint | method | " + " | ".join(ALL_ROLES) + " |"
    lines = [header, "|" + "---|" * (len(ALL_ROLES) + 2)]
    for route in routes():
        if route.roles is None:
            cells = ["public"] * len(ALL_ROLES)
        else:
            cells = ["yes" if role in route.roles else "no" for role in ALL_ROLES]
        lines.append(f"| `{route.path}` | {route.method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
