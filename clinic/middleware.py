"""The project's own middleware: NUL and far years refused in query strings, bodies checked before
they are read; X-Query-Count for benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


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
    """A NUL character in the path, the query string or a cookie is refused with 400 before any
    view reads it.

    No text column holds one (PostgreSQL refuses it in any string), so a filter, a message or a
    session key (the `sessionid` cookie) that carried it to the database would fail as a 500; no
    client has a reason to send it.
    The refusal is audited like any other: `request.<verb>`, reason `invalid`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = [_shown(key) for key, values in request.GET.lists() if NUL in key or any(NUL in v for v in values)]
        if NUL in request.path:
            bad.insert(0, "path")
        if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
            bad.append("Cookie")
        if not bad:
            return self.get_response(request)
        return refuse_nul(request, bad)


NUL = "\x00"


def _shown(name: str) -> str:
    return name.replace(NUL, "\\0")


def refuse_nul(request: HttpRequest, names: list[str]) -> HttpResponse:
    from clinic.errors import refuse
    from core.error_codes import ErrorCode

    fields = {name: ["Must not contain a NUL character."] for name in names}
    return refuse(request, ErrorCode.INVALID, f"{', '.join(names)} must not contain a NUL character.", fields)


class RefuseFarDatesMiddleware:
    """A lookup in the query string (admin's list filters and date hierarchy: `date__year`,
    `date__day`, `timestamp__gte`) naming a year outside 1900 to 2999, or a month, a day, an hour
    past its bounds, is refused with 400, naming it (core.params.far_lookups): Django's date
    arithmetic on it was a 500 (OverflowError on `date__day=99999999999999999999`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from clinic.errors import refuse
        from core.error_codes import ErrorCode
        from core.params import far_lookups

        far = far_lookups(request.GET)
        if not far:
            return self.get_response(request)
        words = {name: _bounds(part, low, high) for name, (part, low, high) in far.items()}
        detail = " ".join(f"{name} must be {text[:1].lower()}{text[1:]}" for name, text in words.items())
        return refuse(request, ErrorCode.INVALID, detail, {name: [text] for name, text in words.items()})


def _bounds(part: str, low: int, high: int) -> str:
    if part in ("year", "iso_year"):
        return f"A year from {low} to {high}."
    article = "An" if part[0] in "aeiouh" else "A"  # an hour, an ISO week day
    return f"{article} {part.replace('_', ' ').replace('iso', 'ISO')} from {low} to {high}."


class BodyCheckMiddleware:
    """The body a request declares, checked before anything reads it or the query string
    (core.parsers.body_refusal): past DATA_UPLOAD_MAX_MEMORY_SIZE it is a 413 `body_too_large`,
    one sent in chunks with no Content-Length a 411 `length_required`, a junk Content-Length or a
    charset that is no text encoding a 400, on every route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from clinic.errors import refuse
        from core.parsers import body_refusal

        refused = body_refusal(request)
        if refused is None:
            return self.get_response(request)
        detail, fields = refused.english()
        return refuse(request, refused.code, detail, fields)
