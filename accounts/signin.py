"""Signing in, the same for the API and Django admin: throttled, then authenticated.

Failed and successful sign-ins are logged by the receivers of Django's auth signals
(accounts.signals), so every door that calls `authenticate()` and `login()` is covered;
a throttled attempt never reaches `authenticate()` and is logged here.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate

from accounts import throttling
from accounts.models import User
from audit import context
from audit import event_types as E
from audit.events import emit
from core.error_codes import ErrorCode


class SignInRefused(Exception):
    """Why a sign-in was refused: `invalid_credentials`, or `throttled` with seconds to wait."""

    def __init__(self, code: ErrorCode, retry_after: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


def client_ip() -> str | None:
    ctx = context.current()
    return ctx.ip if ctx else None


def sign_in(request: Any, username: str, password: str) -> User:
    """The user these credentials name, unless this (username, address) pair is locked."""
    ip = client_ip()
    wait = throttling.retry_after(username, ip)
    if wait is not None:
        login_event("failure", username, ErrorCode.THROTTLED, details={"retry_after": wait})
        raise SignInRefused(ErrorCode.THROTTLED, wait)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        throttling.record_failure(username, ip)
        raise SignInRefused(ErrorCode.INVALID_CREDENTIALS)
    throttling.clear(username, ip)
    return user


def login_source() -> str:
    ctx = context.current()
    return "admin" if ctx is not None and ctx.channel == "admin" else "auth"


def login_event(
    outcome: str, username: str, reason: str | None, user: User | None = None, details: dict[str, Any] | None = None
) -> None:
    emit(
        E.AUTH_LOGIN,
        outcome=outcome,
        reason=reason,
        actor=user,
        source=login_source(),
        details={"username": username, **(details or {})},
        message=f"login {'succeeded' if outcome == 'success' else 'refused'} for {username!r}",
    )
