"""The domain error family and the one error shape {"detail", "code", "fields"}.

Services raise `DomainError` (or a subclass); the project's DRF exception handler
(`clinic.errors.exception_handler`) turns it, and DRF's own exceptions, into the body
built by `error_body`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status


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
    """The error shape of an API exception."""
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


def one_or_404(queryset: Any, pk: Any, missing: DomainError | None = None) -> Any:
    """The record `pk` of `queryset`, or `missing` (by default the plain 404 of the error shape)."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise missing or NotFound()
    return found
