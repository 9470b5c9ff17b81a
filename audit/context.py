"""The request an audit event belongs to, carried in a context variable.

The middleware binds one context per request; events logged outside a request
(management commands, scripts, the shell) carry no request and `source: command`.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    method: str
    path: str
    ip: str | None
    channel: str  # "api" or "admin" (or "web" for anything else)
    request: HttpRequest

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.request_id, "method": self.method, "path": self.path, "ip": self.ip}

    def user(self) -> Any:
        # Read lazily: DRF authenticates inside the view and sets the user on the Django request.
        return getattr(self.request, "user", None)


_current: ContextVar[RequestContext | None] = ContextVar("medcamp_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def bind(ctx: RequestContext) -> Token[RequestContext | None]:
    return _current.set(ctx)


def unbind(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


def request_id_from(header: str | None) -> str:
    """A well-formed client X-Request-ID is kept; anything else is replaced by a fresh id."""
    if header and _REQUEST_ID.fullmatch(header):  # `$` alone also matched before a final "\n"
        return header
    return uuid.uuid4().hex


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or the address the trusted proxies saw (TRUSTED_PROXY_COUNT)."""
    proxies: int = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:64]
    return request.META.get("REMOTE_ADDR")


def context_for(request: HttpRequest) -> RequestContext:
    path = request.path
    if path.startswith("/admin/"):
        channel = "admin"
    elif path.startswith("/api/"):
        channel = "api"
    else:
        channel = "web"
    return RequestContext(
        request_id=request_id_from(request.META.get("HTTP_X_REQUEST_ID")),
        method=request.method or "",
        path=path[:512],
        ip=client_ip(request),
        channel=channel,
        request=request,
    )
