"""Binds the audit request context and echoes the request id."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit import context, sealer


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        sealer.ensure_started()  # a serving process seals its store in the background

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.context_for(request)
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        token = context.bind(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.unbind(token)
        response["X-Request-ID"] = ctx.request_id
        return response
