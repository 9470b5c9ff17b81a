"""OpenAPI post-processing: the one error shape, on every operation."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "Every error response has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "one human sentence"},
        "code": {"type": "string", "description": "machine code, e.g. invalid, not_found, duplicate_patient"},
        "fields": {
            "type": "object",
            "description": "validation errors only: field name -> messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}
STATUSES = {
    "400": "Invalid input",
    "401": "Not signed in, or the token was rejected (code says why)",
    "403": "The role does not allow this",
    "404": "No such record",
    "409": "Refused by a domain rule (duplicate, illegal transition, insufficient stock...)",
    "429": "Too many attempts",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, text in STATUSES.items():
                responses.setdefault(code, {"description": text, "content": {"application/json": {"schema": ref}}})
    return result
