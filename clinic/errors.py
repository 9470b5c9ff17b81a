"""The DRF exception handler and the API's 404/500 pages: one error shape for every error.

The error family and the shape live in `core.errors`; this top-level module adds what
needs the audit stream: every refusal is recorded as an event with outcome "failure".
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from audit import event_types as E
from audit.events import build_event, record_event, write
from audit.refusals import log_refusal
from core.error_codes import ErrorCode
from core.errors import DomainError, NotFound, error_body
from core.params import whole_number
from core.serializers import MAX_ID

_VERBS: dict[str, str] = {
    "GET": "read",
    "HEAD": "read",
    "POST": "create",
    "PUT": "update",
    "PATCH": "update",
    "DELETE": "delete",
}


# An unreachable database (refused, dropped, timed out) raises these; a bad query raises others.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DATABASE_DOWN):
        return _unavailable(context["request"], Response)
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
        _audit_refusal(context, exc, response.status_code, body)
    return response


def _audit_refusal(
    context: dict[str, Any], exc: exceptions.APIException, status_code: int, body: dict[str, Any]
) -> None:
    view = context.get("view")
    request = context.get("request")
    method = getattr(request, "method", "GET") or "GET"
    resource = getattr(view, "audit_resource", None) or "request"
    verb = getattr(view, "audit_action", None) or verb_of(method)
    kwargs = getattr(view, "kwargs", {}) or {}
    record = getattr(exc, "record", None)
    if record is None and "pk" in kwargs:
        record = _named_record(view, kwargs["pk"])
    detail, fields = in_english(exc, body)
    log_refusal(
        E.EVENTS.attempt(resource, verb),
        code=body["code"],
        detail=f"{method} {status_code}: {detail}",
        source="route",
        record=record if getattr(record, "pk", None) is not None else None,
        target=record if isinstance(record, dict) else None,
        fields=fields,
        status=status_code,
        scope=_named_in_body(request),
    )


def in_english(exc: exceptions.APIException, body: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The refusal as the audit trail records it, in English whatever language answered it.

    A domain error renders its own sentence again in English; DRF's validation messages are
    already words in the request's language, so the trail keeps each field's error codes
    ("required", "max_value"); any other refusal is told by its code's meaning.
    """
    if isinstance(exc, DomainError):
        return exc.english()
    if isinstance(exc, exceptions.ValidationError):
        codes = exc.get_codes()
        named = codes if isinstance(codes, dict) else {"non_field_errors": codes}
        fields = {str(k): v if isinstance(v, list) else [v] for k, v in named.items()}
        return f"Some fields are invalid: {', '.join(fields)}", fields
    return ErrorCode(body["code"]).meaning, body.get("fields")  # type: ignore[call-arg]  # a lookup by value


_SCOPE_KEYS = {"patient": "patient_id", "visit": "visit_id", "camp": "camp_id"}


def _named_in_body(request: Any) -> dict[str, int]:
    """The patient, visit and camp ids the request's body names (a registration's camp).

    Only a body the view already parsed is read (DRF keeps it in `_full_data`): a refusal
    before parsing (401, 403, 415) must not parse an unauthenticated caller's body.
    """
    data = getattr(request, "_full_data", None)
    if not isinstance(data, Mapping):
        return {}
    named = {key: whole_number(str(data.get(field)), 1) for field, key in _SCOPE_KEYS.items()}
    return {key: value for key, value in named.items() if value is not None}


def _named_record(view: Any, pk: int) -> Any:
    """The record the URL names (the view's, if it loaded it), or `{type, id}` when there is none."""
    loaded = getattr(view, "loaded", None)
    if loaded is not None and loaded.pk == pk:
        return loaded
    try:
        model = view.get_queryset().model
    except Exception:  # a view without records of its own
        return {"type": getattr(view, "audit_resource", "") or "record", "id": pk}
    record = model._default_manager.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if record is None:
        return {"type": getattr(model, "audit_type", None) or model._meta.model_name, "id": pk}
    return record


def _json_error(code: ErrorCode, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code.value}, status=code.status)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return _json_error(ErrorCode.NOT_FOUND, gettext("No such endpoint."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> Any:
    failed = sys.exc_info()[1]  # Django calls this handler while it handles the exception
    down = isinstance(failed, DATABASE_DOWN)
    if down and request.path.startswith("/api/"):
        return _unavailable(request, JsonResponse)
    record = build_event(
        E.REQUEST_FAILED,
        outcome="failure",
        reason=ErrorCode.SERVER_ERROR,
        source="route",
        level=40,
        message=f"{request.method} {request.path} failed with an internal error",
        **({"actor": None} if down else {}),  # finding the user would ask the database again
    )
    try:
        record_event(record)
    except DatabaseError:
        write(record)  # the store is in the database that failed: the file and LogBull still hear of it
    if request.path.startswith("/api/"):
        return _json_error(ErrorCode.SERVER_ERROR, gettext("Internal server error; the event was logged."))
    from django.views.defaults import server_error

    return server_error(request)


def _unavailable(request: Any, answer: Any) -> Any:
    """503 `database_unavailable` in the error shape, logged to the sinks that need no database."""
    write(
        build_event(
            E.REQUEST_FAILED,
            outcome="failure",
            reason=ErrorCode.DATABASE_UNAVAILABLE,
            source="route",
            level=40,
            actor=None,
            message=f"{request.method} {request.path} failed: the database cannot be reached",
        )
    )
    code = ErrorCode.DATABASE_UNAVAILABLE
    body = {"detail": gettext("The database cannot be reached; try again shortly."), "code": code.value}
    response = answer(body, status=code.status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def verb_of(method: str | None) -> str:
    """The audit verb of an HTTP method (`read` for GET, `update` for PATCH...)."""
    return _VERBS.get(method or "", "execute")
