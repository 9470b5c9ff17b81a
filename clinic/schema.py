"""The OpenAPI schema's error responses: the one error shape, and only the codes an operation can answer.

drf-spectacular documents what a view returns; `AutoSchema` adds the refusals each operation
can give, derived from what it takes (docs/api.md, "Errors, per operation"):

- 400: it reads a body, query parameters, or an `Idempotency-Key` header;
- 401 and 403: it needs a signed-in user (a user without the role, or without any role, is 403);
- 404: its path names a record, or it is a list (a page past the last);
- 409 and 422: it is a write taking `Idempotency-Key` (a first request still running, a key
  reused for another request); domain conflicts (duplicates, transitions, stock) are 409 too;
- 413 and 415: it reads a body (one past 1 MiB is refused, and anything but JSON);
- what a view declares besides in `more_errors`, keyed like `allowed_roles` (login's 429);
- 500 on every operation: a bug can fail any of them (the tests and the fuzzer still treat
  each 500 as a failure);
- 503 on every operation: the database unreachable (`database_unavailable`) or busy past its timeouts
  (`database_busy`), with `Retry-After`.
"""

from __future__ import annotations

import inspect
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from accounts.permissions import roles_for
from core.error_codes import ErrorCode
from core.idempotency import HEADER, KEY_SCHEMA, REPLAYED_HEADER, WRITES
from core.serializers import MAX_ID

ERROR = {
    "type": "object",
    "description": "Every error response has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "one human sentence"},
        "code": {
            "type": "string",
            "enum": [code.value for code in ErrorCode],
            "description": "machine code (docs/api.md, Error codes)",
        },
        "fields": {
            "type": "object",
            "description": "validation errors only: field name -> messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
DESCRIPTIONS = {
    400: "Invalid input: `fields` names each invalid field or parameter",
    401: "Not signed in, or the token was rejected (`code` says why)",
    403: "The user's roles do not allow this",
    404: "No such record, or no such page",
    409: "Refused by a domain rule (duplicate, illegal transition, insufficient stock...), "
    "or `idempotency_key_in_progress`",
    413: "`body_too_large`: the body is larger than 1 MiB",
    415: "The body is not JSON",
    422: "`idempotency_key_reused`: this Idempotency-Key came with another request",
    429: "Too many attempts; `Retry-After` says when to try again",
    500: "Internal error; the event was logged",
    503: "`database_unavailable`: the database cannot be reached, or `database_busy`: a lock or statement waited "
    "too long and nothing was written; `Retry-After` says when to try again",
}
KEY_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": KEY_SCHEMA,
    "description": "Makes a retry safe: the same request with the same key within 24 hours gets the first "
    "answer again (with Idempotent-Replayed: true) and writes nothing; see docs/api.md.",
}
REPLAYED = {
    REPLAYED_HEADER: {
        "description": "present on an answer replayed for a retried request",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":  # ViewSet's [0-9]+: a record id
                parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        responses = operation.setdefault("responses", {})
        for code in sorted(self.error_codes(operation)):
            response = {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}
            if code in (429, 503):
                response["headers"] = RETRY_AFTER
            responses.setdefault(str(code), response)
        if self.keyed():
            operation.setdefault("parameters", []).append(KEY_PARAMETER)
            for response in responses.values():  # any stored answer, refusals included, may be replayed
                response.setdefault("headers", {}).update(REPLAYED)
        return operation

    def get_description(self) -> str:  # type: ignore[override]
        """The view's own words only: a docstring inherited from a mixin describes the mixin."""
        own = type(self.view).__dict__
        handler = own.get(getattr(self.view, "action", None) or self.method.lower())
        return inspect.cleandoc(getattr(handler, "__doc__", None) or own.get("__doc__") or "")

    def keyed(self) -> bool:
        return self.method in WRITES and self.signed_in()

    def signed_in(self) -> bool:
        return roles_for(self.view, self.method, getattr(self.view, "action", None)) is not None

    def error_codes(self, operation: dict[str, Any]) -> set[int]:
        where = {p["in"] for p in operation.get("parameters", [])}
        body = "requestBody" in operation
        keyed = self.keyed()
        codes: set[int] = {500, 503}
        if body or "query" in where or keyed:
            codes.add(400)
        if self.signed_in():
            codes |= {401, 403}
        if "path" in where or self._is_list_view():
            codes.add(404)
        if keyed:
            codes |= {409, 422}
        if body:
            codes |= {413, 415}
        more = getattr(self.view, "more_errors", {})
        return codes | set(more.get(getattr(self.view, "action", None) or self.method, ()))


ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_error_component(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """The Error schema every error response refers to."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    return result
