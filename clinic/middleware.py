"""The project's own middleware: NUL refused in paths and query strings; X-Query-Count for benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


class QueryCountMiddleware:
    """X-Query-Count: SQL queries a request ran (on only with MEDCAMP_QUERY_COUNT=1, for benchmarks)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


class RefuseNulMiddleware:
    """A NUL character in the path or the query string is refused with 400 before any view reads it.

    No text column holds one (PostgreSQL refuses it in any string), so a filter or a message
    that carried it to the database would fail as a 500; no client has a reason to send it.
    The refusal is audited like any other: `request.<verb>`, reason `invalid`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = [_shown(key) for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)]
        if NUL in request.path:
            bad.insert(0, "path")
        if not bad:
            return self.get_response(request)
        return refuse_nul(request, bad)


NUL = "\x00"


def _shown(name: str) -> str:
    return name.replace(NUL, "\\0")


def refuse_nul(request: HttpRequest, names: list[str]) -> HttpResponse:
    from audit.event_types import EVENTS
    from audit.refusals import log_refusal
    from clinic.errors import verb_of
    from core.error_codes import ErrorCode

    api = request.path.startswith("/api/")
    detail = f"{', '.join(names)} must not contain a NUL character."
    fields = {name: ["Must not contain a NUL character."] for name in names}
    log_refusal(
        EVENTS.attempt("request", verb_of(request.method)),
        code=ErrorCode.INVALID,
        detail=detail,
        source="route" if api else "admin",
        fields=fields,
        status=400,
    )
    if api:
        return JsonResponse({"detail": detail, "code": ErrorCode.INVALID.value, "fields": fields}, status=400)
    return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
