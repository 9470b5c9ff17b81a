"""`ordering` on lists whose order matters: one named order, `-` to reverse it.

A viewset declares `orderings = {"name": ("model_field", ...)}`; without the parameter the
list keeps its selector's order. Each order ends with the primary key, so pages never
overlap. An unknown name is a 400 naming the allowed ones (DRF's OrderingFilter ignores it).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from core.errors import DomainError


def _choices(view: Any) -> list[str]:
    names = list(getattr(view, "orderings", {}))
    return [value for name in names for value in (name, f"-{name}")]


def _varname(choice: str) -> str:
    return f"{choice.lstrip('-').upper()}_DESC" if choice.startswith("-") else choice.upper()


class Ordering(BaseFilterBackend):
    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        raw = request.query_params.get("ordering")
        orderings = getattr(view, "orderings", {})
        if raw is None or not orderings:
            return queryset
        if raw not in _choices(view):
            allowed = ", ".join(_choices(view))
            raise DomainError(
                _("ordering must be one of: %(allowed)s."),
                params={"allowed": allowed},
                fields={"ordering": [_("One of: %(allowed)s.")]},
            )
        sign = "-" if raw.startswith("-") else ""
        return queryset.order_by(*[f"{sign}{field}" for field in (*orderings[raw.lstrip("-")], "pk")])

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        if not getattr(view, "orderings", {}):
            return []
        return [
            {
                "name": "ordering",
                "in": "query",
                "required": False,
                "description": "Order of the list; `-` reverses it. Without it, the list's own order.",
                "schema": {
                    "type": "string",
                    "enum": _choices(view),
                    # names for generated clients' enums: NAME and NAME_DESC, not VALUE_1
                    "x-enum-varnames": [_varname(choice) for choice in _choices(view)],
                },
            }
        ]
