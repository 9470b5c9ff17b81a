"""Every API response the test suite receives is checked against the OpenAPI schema.

The schema is fetched once from `GET /api/v1/schema/` and compiled by openapi-core; each
response an `Api` test client receives for a `/api/v1/` path is validated against the
operation it answers: its status must be documented, its body must match (envelopes,
nullability, enums, formats). A 404/405 for a path or method the API does not have is
outside every operation and is left to the tests that ask for it, as are OPTIONS requests
(CORS preflights, answered by django-cors-headers before any view).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

_openapi: OpenAPI | None = None
checked: Counter[str] = Counter()


def _schema() -> OpenAPI:
    global _openapi
    if _openapi is None:
        from django.test import Client

        spec = json.loads(Client().get("/api/v1/schema/?format=json").content)
        _openapi = OpenAPI.from_dict(spec)
    return _openapi


def mismatch(response: Any) -> str | None:
    """Why `response` (a test client's) is outside the schema, or None when it matches."""
    request = response.wsgi_request
    if not request.path.startswith("/api/v1/") or request.path.startswith(("/api/v1/schema/", "/api/v1/docs/")):
        return None
    if request.method == "OPTIONS":
        return None
    mock_request = MockRequest(
        "http://testserver",
        request.method,
        request.path,
        args=request.GET,
        data=request.body if request.method != "GET" else None,
    )
    mock_response = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("Content-Type", "application/json"),
    )
    try:
        _schema().validate_response(mock_request, mock_response)
    except (PathNotFound, OperationNotFound):
        if response.status_code in (404, 405):
            return None
        return f"{request.method} {request.path}: {response.status_code} for an operation the schema lacks"
    except Exception as exc:  # openapi-core's validation errors: say which and why
        # the schema's words only, never the body's values (they may hold a token)
        errors = getattr(exc, "schema_errors", None) or getattr(exc.__cause__, "schema_errors", None) or []
        cause = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors) or type(exc).__name__
        return f"{request.method} {request.path}: {response.status_code} {type(exc).__name__}: {cause[:500]}"
    checked["ok"] += 1
    return None
