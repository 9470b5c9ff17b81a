"""The DRF exception handler and the API's 404/500 pages: one error shape for every error.

The error family and the shape live in `core.errors`; this top-level module adds what
needs the audit stream: every refusal is recorded as an event with outcome "failure".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from audit.events import emit, target_of
from audit.viewsets import scope_of
from core.errors import NotFound, error_body
from core.serializers import MAX_ID

_VERBS = {"GET": "read", "HEAD": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    body = error_body(exc)
    response.data = body
    if not getattr(exc, "audited", False):
        _audit_refusal(context, response.status_code, body)
    return response


def _audit_refusal(context: dict[str, Any], status_code: int, body: dict[str, Any]) -> None:
    view = context.get("view")
    request = context.get("request")
    method = getattr(request, "method", "GET") or "GET"
    resource = getattr(view, "audit_resource", None) or type(view).__name__.lower()
    verb = getattr(view, "audit_action", None) or _VERBS.get(method, "execute")
    action = verb if verb in ("create", "read", "update", "delete", "login", "logout") else "execute"
    kwargs = getattr(view, "kwargs", {}) or {}
    target, scope = _named_record(view, kwargs["pk"]) if "pk" in kwargs else (None, None)
    details: dict[str, Any] = {"status": status_code}
    if "fields" in body:
        details["fields"] = body["fields"]
    emit(
        f"{resource}.{verb}",
        action=action,
        outcome="failure",
        reason=body["code"],
        target=target,
        scope=scope,
        details=details,
        source="route",
        message=f"{method} refused ({status_code} {body['code']}): {body['detail']}",
    )


def _named_record(view: Any, pk: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The record the URL names, as the refusal's target, with the patient, visit and camp it concerns."""
    try:
        model = view.get_queryset().model
    except Exception:  # a view without records of its own
        return {"type": getattr(view, "audit_resource", "") or "record", "id": pk}, None
    record = model._default_manager.filter(pk=pk).first() if isinstance(pk, int) and 0 < pk <= MAX_ID else None
    if record is None:
        return {"type": getattr(model, "audit_type", None) or model._meta.model_name, "id": pk}, None
    return target_of(record), scope_of(record)


def _json_error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return _json_error(404, "not_found", "No such endpoint.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> Any:
    emit(
        "request.failed",
        action="execute",
        outcome="failure",
        reason="server_error",
        source="route",
        level=40,
        message=f"{request.method} {request.path} failed with an internal error",
    )
    if request.path.startswith("/api/"):
        return _json_error(500, "server_error", "Internal server error; the event was logged.")
    from django.views.defaults import server_error

    return server_error(request)
