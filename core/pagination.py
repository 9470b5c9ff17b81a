"""The one list shape: `{"count", "next", "previous", "results"}`, `page` and `page_size`.

`page_size` defaults to 50 and may be 1 to 200; a value outside that, or a `page` that is
not a whole number, is a 400 in the error shape rather than silently replaced (DRF clamps
and falls back). A page past the last is a 404. Nothing is capped: `count` is every row.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator as DjangoPaginator
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from core.error_codes import ErrorCode
from core.errors import NotFound
from core.params import whole_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Pagination(PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return whole_param(request, "page_size", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        number = whole_param(request, "page", 1, 2**31) or 1
        paginator = DjangoPaginator(queryset, self.get_page_size(request))
        if number > max(paginator.num_pages, 1):
            raise NotFound(
                _("There is no page %(number)s; this list has %(pages)s."),
                params={"number": number, "pages": paginator.num_pages},
                code=ErrorCode.PAGE_NOT_FOUND,
            )
        self.page = paginator.page(number)
        return list(self.page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 2**31}),
            _query(
                "page_size",
                f"Rows per page (default {DEFAULT_PAGE_SIZE}).",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            ),
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope = super().get_paginated_response_schema(schema)
        envelope["required"] = ["count", "next", "previous", "results"]
        return envelope


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
