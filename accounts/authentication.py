"""JWT authentication that says why a token was refused, and logs it without the token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.tokens import PASSWORD_CLAIM, password_version
from audit import event_types as E
from audit.events import emit
from core.error_codes import ErrorCode

REASONS = {
    ErrorCode.TOKEN_EXPIRED: "The access token has expired; refresh it or log in again.",
    ErrorCode.TOKEN_INVALID: "The access token is malformed or its signature is wrong.",
    ErrorCode.TOKEN_MISSING_USER_CLAIM: "The access token names no user.",
    ErrorCode.USER_NOT_FOUND: "The user of this token no longer exists.",
    ErrorCode.USER_INACTIVE: "The user of this token is deactivated.",
    ErrorCode.TOKEN_REVOKED: "The password changed after this token was issued; log in again.",
}


class TokenRejected(exceptions.AuthenticationFailed):
    """A 401 whose code says why; already audited where it was raised."""

    audited = True

    def __init__(self, code: ErrorCode) -> None:
        super().__init__(REASONS[code], code=code)


def reject(code: ErrorCode, user_id: Any = None) -> TokenRejected:
    emit(
        E.AUTH_TOKEN_REJECTED,
        outcome="failure",
        reason=code,
        actor=None,
        source="auth",
        details={"user_id": user_id} if user_id is not None else None,
        message=f"token rejected: {code}",
    )
    return TokenRejected(code)


class AuditedJWTAuthentication(JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Token] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        token = self.validated(raw)
        return self.user_for(token), token

    def validated(self, raw: bytes) -> Token:
        try:
            return AccessToken(raw)  # type: ignore[arg-type]
        except ExpiredTokenError:
            raise reject(ErrorCode.TOKEN_EXPIRED) from None
        except TokenError:
            raise reject(ErrorCode.TOKEN_INVALID) from None

    def user_for(self, token: Token) -> Any:
        user_id = token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            raise reject(ErrorCode.TOKEN_MISSING_USER_CLAIM)
        user = get_user_model().objects.prefetch_related("groups").filter(pk=user_id).first()
        if user is None:
            raise reject(ErrorCode.USER_NOT_FOUND, user_id)
        if not user.is_active:
            raise reject(ErrorCode.USER_INACTIVE, user_id)
        if token.get(PASSWORD_CLAIM) != password_version(user):
            raise reject(ErrorCode.TOKEN_REVOKED, user_id)
        return user
