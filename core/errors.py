"""The domain error family and the one error shape {"detail", "code", "fields"}.

Services raise `DomainError` (or a subclass); the project's DRF exception handler
(`clinic.errors.exception_handler`) turns it, and DRF's own exceptions, into the body
built by `error_body`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from core.error_codes import ErrorCode


class DomainError(exceptions.APIException):
    """A refused domain action: a machine code (which sets the status) and one human sentence.

    The sentence is a translatable string with named placeholders, filled from `params`:
    `DomainError(_("Visit %(visit)s is closed."), params={"visit": 7}, code=...)`.

    `record` is the record the refusal concerns when the raiser has it loaded, so the refusal's
    event names it (with its patient, visit and camp) without loading it again.
    """

    default_code: ErrorCode = ErrorCode.INVALID
    default_detail = _("The request was refused.")

    def __init__(
        self,
        detail: Any = None,
        *,
        params: Mapping[str, Any] | None = None,
        code: ErrorCode | None = None,
        fields: Mapping[str, list[Any]] | None = None,
        extra: dict[str, Any] | None = None,
        record: Any = None,
        audited: bool = False,
    ) -> None:
        self.code: ErrorCode = code or self.default_code
        # The sentence as written (a lazy translation) and its values: `detail` is it in the
        # request's language, `english()` the same sentence for the audit trail.
        self.message = detail or self.default_detail
        self.params = dict(params or {})
        self.field_messages = dict(fields or {})
        super().__init__(self.render(self.message), str(self.code))
        self.status_code = self.code.status
        self.audited = audited  # the raiser already logged the refusal
        self.extra = extra or {}
        self.record = record

    def render(self, message: Any) -> str:
        """`message` in the active language, its %(name)s placeholders filled from `params`."""
        if isinstance(message, ValidationError):  # Django's, e.g. a password validator's
            return " ".join(message.messages)
        return str(message) % self.params if self.params else str(message)

    @property
    def fields(self) -> dict[str, list[str]] | None:
        if not self.field_messages:
            return None
        return {name: [self.render(m) for m in messages] for name, messages in self.field_messages.items()}

    def english(self) -> tuple[str, dict[str, list[str]] | None]:
        """The sentence and the fields' messages in English, as the audit trail records them."""
        with translation.override("en"):
            return self.render(self.message), self.fields


class Conflict(DomainError):
    default_code = ErrorCode.INVALID_TRANSITION


class Forbidden(DomainError):
    default_code = ErrorCode.PERMISSION_DENIED


class NotFound(DomainError):
    default_code = ErrorCode.NOT_FOUND
    default_detail = _("No such record.")


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return ErrorCode.INVALID


def code_of(exc: exceptions.APIException) -> ErrorCode:
    """The catalogued code of an API exception (a validation error is always `invalid`)."""
    if isinstance(exc, exceptions.ValidationError):
        return ErrorCode.INVALID
    return ErrorCode(_first_code(exc.get_codes()))  # type: ignore[call-arg]  # a lookup by value


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in detail.items()}
    messages = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(m) for m in messages]}


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    """The error shape of an API exception."""
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()))[0] if fields else gettext("Invalid input.")
        detail = gettext("Some fields are invalid: %(first)s") % {"first": first}
        return {"detail": detail, "code": ErrorCode.INVALID.value, "fields": fields}
    body: dict[str, Any] = {"detail": str(exc.detail), "code": code_of(exc).value}
    extra_fields = getattr(exc, "fields", None)
    if extra_fields:
        body["fields"] = extra_fields
    body.update(getattr(exc, "extra", {}) or {})
    return body


@contextmanager
def about(record: Any) -> Iterator[None]:
    """A refusal raised in this block concerns `record` (loaded): its event names it without a query."""
    try:
        yield
    except DomainError as exc:
        if exc.record is None:
            exc.record = record
        raise


def one_locked(queryset: Any, pk: Any, *, loaded: Any = None, missing: DomainError | None = None) -> Any:
    """The record `pk`, locked for the transaction: `loaded` as it is when the caller loaded and locked
    it already (Django admin's save does), else loaded here, so a write loads its row once."""
    if loaded is not None:
        if loaded.pk != pk:
            raise ValueError(f"loaded record {loaded.pk} is not {pk}")
        return loaded
    return one_or_404(queryset.select_for_update(), pk, missing)


def one_or_404(queryset: Any, pk: Any, missing: DomainError | None = None) -> Any:
    """The record `pk` of `queryset`, or `missing` (by default the plain 404 of the error shape)."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise missing or NotFound()
    return found
