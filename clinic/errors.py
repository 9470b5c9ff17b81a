"""The DRF exception handler and the API's 404/500 pages: one error shape for every error.

The error family and the shape live in `core.errors`; this top-level module adds what
needs the audit stream: every refusal is recorded as an event with outcome "failure".
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from audit import event_types as E
from audit import store
from audit.events import build_event, built, record_event, write
from audit.refusals import log_refusal
from core import db_limits
from core.error_codes import ErrorCode
from core.errors import DomainError, NotFound, error_body
from core.idempotency import keep_if_refused
from core.params import whole_number
from core.renderers import JSONRenderer
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
# So does a wait that ran out (a lock, a statement, the request's budget): core.db_limits.busy().
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
JSON = JSONRenderer()
BUSY_RETRY_AFTER_SECONDS = 5


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DATABASE_DOWN):
        return _unavailable(context["request"], Response, exc)
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    body = error_body(exc)
    response.data = body
    # As JSON whatever the view renders otherwise (the schema's YAML, the docs' HTML) or the
    # client asked for (a 406 is answered in the error shape too).
    context["request"].accepted_renderer, context["request"].accepted_media_type = JSON, "application/json"
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
    refusal = partial(
        log_refusal,
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
    if not keep_if_refused(refusal):  # a write's transaction rolls back first (core.idempotency)
        refusal()


def _keep_failure(sender: Any, record: dict[str, Any], **kwargs: Any) -> None:
    """A failure event a refused write logged before its refusal (a rejected token, a failed
    sign-in) is stored again once the write's transaction has rolled back; the other sinks
    heard of it already. Connected when this module loads, with the URLconf (clinic.metrics)."""
    if record["outcome"] == "failure":
        keep_if_refused(partial(store.insert, record))


built.connect(_keep_failure, dispatch_uid="clinic.errors.keep_failure")


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


def speaks_json(request: HttpRequest) -> bool:
    """The API and /metrics answer every error in the error shape; admin's pages answer pages."""
    return request.path.startswith(("/api/", "/metrics"))


def json_error(code: ErrorCode, detail: str, fields: Mapping[str, Any] | None = None) -> JsonResponse:
    body = {"detail": detail, "code": code.value, **({"fields": dict(fields)} if fields else {})}
    return JsonResponse(body, status=code.status)


def refuse(request: HttpRequest, code: ErrorCode, detail: str, fields: Mapping[str, Any] | None) -> HttpResponse:
    """A refusal outside DRF's views (middleware, Django's own 400), logged as the API's are and
    answered in the error shape on the API and /metrics, in plain text on pages. In English:
    these refusals come before the request's language is known."""
    log_refusal(
        E.EVENTS.attempt("request", verb_of(request.method)),
        code=code,
        detail=detail,
        source="route" if speaks_json(request) else "admin",
        fields=fields,
        status=code.status,
    )
    if speaks_json(request):
        return json_error(code, detail, fields)
    return HttpResponse(detail, status=code.status, content_type="text/plain; charset=utf-8")


def handler400(request: HttpRequest, exception: Exception | None = None) -> Any:
    """Django's own 400s (a Host not allowed, a form of too many fields), refused as above."""
    if isinstance(exception, DisallowedHost):
        return refuse(request, ErrorCode.INVALID, "The Host header names no host this server answers.", None)
    return refuse(request, ErrorCode.INVALID, "The request is malformed.", None)


def handler404(request: HttpRequest, exception: Exception | None = None) -> Any:
    if request.path.startswith("/api/"):
        return json_error(ErrorCode.NOT_FOUND, gettext("No such endpoint."))
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> Any:
    failed = sys.exc_info()[1]  # Django calls this handler while it handles the exception
    if isinstance(failed, DATABASE_DOWN):  # an admin page too: a 503 that says so, not a 500
        return _unavailable(request, JsonResponse if request.path.startswith("/api/") else _page, failed)
    record = build_event(
        E.REQUEST_FAILED,
        outcome="failure",
        reason=ErrorCode.SERVER_ERROR,
        source="route",
        level=40,
        message=f"{request.method} {request.path} failed with an internal error",
    )
    try:
        record_event(record)
    except DatabaseError:
        write(record)  # the store is in the database that failed: the file and LogBull still hear of it
    if request.path.startswith("/api/"):
        return json_error(ErrorCode.SERVER_ERROR, gettext("Internal server error; the event was logged."))
    from django.views.defaults import server_error

    return server_error(request)


def _unavailable(request: Any, answer: Any, exc: Exception) -> Any:
    """503 in the error shape, `database_busy` for a wait that ran out (core.db_limits) and else
    `database_unavailable`, logged to the sinks that need no database. The failed statement's
    transaction has rolled back (each API write and its answer are one transaction, rolled back
    on any error: core.idempotency): the write and its own audit events never commit."""
    busy = db_limits.busy(exc)
    code = ErrorCode.DATABASE_BUSY if busy else ErrorCode.DATABASE_UNAVAILABLE
    why = "the database was busy (a lock or statement timeout)" if busy else "the database cannot be reached"
    write(
        build_event(
            E.REQUEST_FAILED,
            outcome="failure",
            reason=code,
            source="route",
            level=40,
            actor=None,  # finding the user would ask the database again
            message=f"{request.method} {request.path} failed: {why}",
        )
    )
    if busy:
        detail = gettext("The database is busy; try again shortly.")
    else:
        detail = gettext("The database cannot be reached; try again shortly.")
    response = answer({"detail": detail, "code": code.value}, status=code.status)
    response["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS if busy else RETRY_AFTER_SECONDS)
    return response


def _page(body: dict[str, Any], status: int) -> HttpResponse:
    """The 503 of a page (admin): the sentence, in the request's language."""
    page = format_html(
        '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title><h1>{}</h1></html>',
        get_language() or "en",
        body["detail"],
        body["detail"],
    )
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def verb_of(method: str | None) -> str:
    """The audit verb of an HTTP method (`read` for GET, `update` for PATCH...)."""
    return _VERBS.get(method or "", "execute")
