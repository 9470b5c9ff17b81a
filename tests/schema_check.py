"""Every API response the test suite receives is checked against the OpenAPI schema.

The schema is fetched once from `GET /api/v1/schema/` and compiled by openapi-core; each
response to a `/api/v1/` path is validated against the operation it answers: its status
must be documented, its body must match (envelopes, nullability, enums, formats), and so
must its documented headers. `install()` (tests/conftest.py) hooks the three ways tests
receive answers: Django's test client (and DRF's, built on it), `requests` (app servers
started by a test) and `httpx` (the generated client). A 404/405 for a path or method the
API does not have is outside every operation and left to the tests that ask for it, as are
OPTIONS requests (CORS preflights, answered by django-cors-headers before any view).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
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


def check(
    method: str, path: str, query: Mapping[str, Any], status: int, headers: Mapping[str, str], body: bytes
) -> str | None:
    """Why this answer is outside the schema, or None when it matches (or is not an API operation)."""
    if not path.startswith("/api/v1/") or path.startswith(("/api/v1/schema/", "/api/v1/docs/")):
        return None
    if method == "OPTIONS":
        return None
    request = MockRequest("http://testserver", method, path, args=dict(query))
    content_type = headers.get("Content-Type") or headers.get("content-type") or "application/json"
    response = MockResponse(body, status_code=status, headers=dict(headers), content_type=content_type)
    try:
        _schema().validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        if status in (404, 405):
            return None
        return f"{method} {path}: {status} for an operation the schema lacks"
    except Exception as exc:  # openapi-core's validation errors: say which and why
        # the schema's words only, never the body's values (they may hold a token)
        errors = getattr(exc, "schema_errors", None) or getattr(exc.__cause__, "schema_errors", None) or []
        cause = "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors) or type(exc).__name__
        return f"{method} {path}: {status} {type(exc).__name__}: {cause[:500]}"
    checked[method] += 1
    return None


def mismatch(response: Any) -> str | None:
    """`check` for a response of Django's (or DRF's) test client."""
    request = response.wsgi_request
    if getattr(response, "streaming", False) or not request.path.startswith("/api/v1/"):
        return None  # admin pages and their CSV streams
    headers = {k: v for k, v in response.headers.items() if "\n" not in v}
    return check(request.method, request.path, request.GET, response.status_code, headers, response.content)


servers: set[str] = {"testserver"}  # netlocs of MedCamp servers (tests/servers.start adds each)


def _from_url(method: str, url: str, host: str | None, status: int, headers: Any, body: bytes) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in servers or (host is not None and host != parts.netloc):
        return None  # another server (the fake LogBull), or a request sent in another host's name
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return check(method.upper(), parts.path, query, status, headers, body)


@contextmanager
def installed() -> Iterator[None]:
    """Check every answer received through Django's test client, requests and httpx."""
    import httpx
    import requests
    from django.test import Client

    def django_request(self: Any, **request: Any) -> Any:
        response = django_original(self, **request)
        problem = mismatch(response)
        assert problem is None, f"response outside the OpenAPI schema: {problem}"
        return response

    def requests_send(self: Any, prepared: Any, **kwargs: Any) -> Any:
        response = requests_original(self, prepared, **kwargs)
        host = prepared.headers.get("Host")
        problem = _from_url(
            prepared.method, prepared.url, host, response.status_code, response.headers, response.content
        )
        assert problem is None, f"response outside the OpenAPI schema: {problem}"
        return response

    def httpx_send(self: Any, request: Any, **kwargs: Any) -> Any:
        response = httpx_original(self, request, **kwargs)
        response.read()
        url, status = str(request.url), response.status_code
        problem = _from_url(request.method, url, None, status, response.headers, response.content)
        assert problem is None, f"response outside the OpenAPI schema: {problem}"
        return response

    django_original, requests_original, httpx_original = Client.request, requests.Session.send, httpx.Client.send
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", django_request)
        patch.setattr(requests.Session, "send", requests_send)
        patch.setattr(httpx.Client, "send", httpx_send)
        yield
