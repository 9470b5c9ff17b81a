"""View pieces shared by every app's API: input parsing, the viewset base, routers."""

from __future__ import annotations

from typing import Any

from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.viewsets import GenericViewSet

from core.errors import NotFound
from core.idempotency import Idempotent
from core.serializers import MAX_ID


def valid(serializer_class: Any, request: Request, **kwargs: Any) -> dict[str, Any]:
    """Validated data of a request body, or a 400 in the error shape."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def page_of(view: GenericAPIView, rows: Any, serializer_class: Any) -> Response:  # type: ignore[type-arg]
    """One page of a list in the envelope, after the view's filters and `ordering`."""
    if hasattr(rows, "model"):  # a queryset: the query string's filters and order apply
        rows = GenericAPIView.filter_queryset(view, rows)
    page = view.paginate_queryset(rows)
    return view.get_paginated_response(serializer_class(page, many=True).data)


class ViewSet(Idempotent, GenericViewSet):  # type: ignore[type-arg]
    """Every app's viewsets: numeric ids in paths (anything else is a 404, as `<int:pk>` was).

    Subclasses declare `allowed_roles` keyed by action name (read by the role check) and
    `audit_resource`, the name refusals are logged under; an `@action` may override the
    latter with its own `audit_resource=` keyword.
    """

    lookup_value_regex = "[0-9]+"
    allowed_roles: dict[str, Any] = {}
    audit_resource = ""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if "pk" in kwargs:  # the id as a number, as `<int:pk>` gave it, for services and audit targets
            # (past MAX_ID it is a 404 in `initial`; so is one too long for int() to read at all)
            kwargs["pk"] = int(kwargs["pk"]) if len(kwargs["pk"]) <= len(str(MAX_ID)) else MAX_ID + 1
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.kwargs.get("pk", 0) > MAX_ID:
            raise NotFound()

    def filter_queryset(self, queryset: Any) -> Any:
        # Query-string filters narrow lists (`page_of`); a record named by its id is found
        # whatever they say.
        return queryset


def router() -> SimpleRouter:
    """A router without a root view or format suffixes: paths stay exactly as api.md writes them."""
    return SimpleRouter(trailing_slash=True)
