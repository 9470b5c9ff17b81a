"""One error shape for every error response: {"detail", "code", "fields"}.

Services raise `DomainError` (or a subclass); DRF's own exceptions and Django's
Http404 / PermissionDenied come through the same handler, which also records the
refusal as an audit event with outcome "failure".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from audit.events import emit

_VERBS = {"GET": "read", "HEAD": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


class DomainError(exceptions.APIException):
    """A refused domain action: a status, a machine code and one human sentence."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "The request was refused."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        audited: bool = False,
    ) -> None:
        super().__init__(detail or self.default_detail, code or self.default_code)
        self.audited = audited  # the raiser already logged the refusal
        if status_code is not None:
            self.status_code = status_code
        self.fields: dict[str, list[str]] | None = fields
        self.extra = extra or {}


class Conflict(DomainError):
    status_code: int = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Forbidden(DomainError):
    status_code: int = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class NotFound(DomainError):
    status_code: int = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "No such record."


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "error"


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(m) for m in messages]}


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else "Invalid input."
        return {"detail": f"Some fields are invalid: {first}", "code": "invalid", "fields": fields}
    body: dict[str, Any] = {"detail": str(exc.detail), "code": _first_code(exc.get_codes())}
    extra_fields = getattr(exc, "fields", None)
    if extra_fields:
        body["fields"] = extra_fields
    body.update(getattr(exc, "extra", {}) or {})
    return body


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
    target = {"type": resource, "id": kwargs["pk"]} if "pk" in kwargs else None
    details: dict[str, Any] = {"status": status_code}
    if "fields" in body:
        details["fields"] = body["fields"]
    emit(
        f"{resource}.{verb}",
        action=action,
        outcome="failure",
        reason=body["code"],
        target=target,
        details=details,
        source="route",
        message=f"{method} refused ({status_code} {body['code']}): {body['detail']}",
    )


def json_error(request: HttpRequest, status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error(request, 404, "not_found", "No such endpoint.")
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
        return json_error(request, 500, "server_error", "Internal server error; the event was logged.")
    from django.views.defaults import server_error

    return server_error(request)
