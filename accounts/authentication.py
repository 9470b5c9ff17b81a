"""JWT authentication that says why a token was refused, and logs it without the token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
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
from core.languages import use_preference

REASONS = {
    ErrorCode.TOKEN_EXPIRED: _("The access token has expired; refresh it or log in again."),
    ErrorCode.TOKEN_INVALID: _("The access token is malformed or its signature is wrong."),
    ErrorCode.TOKEN_MISSING_USER_CLAIM: _("The access token names no user."),
    ErrorCode.USER_NOT_FOUND: _("The user of this token no longer exists."),
    ErrorCode.USER_INACTIVE: _("The user of this token is deactivated."),
    ErrorCode.TOKEN_REVOKED: _("The password changed after this token was issued; log in again."),
}


# What is wrong with an Authorization header that is not `Bearer <token>`, in words.
EMPTY_HEADER = _("The Authorization header has no token: send 'Bearer <access token>'.")
EXTRA_WORDS = _("The Authorization header must be 'Bearer <access token>': two words and one space.")
OTHER_SCHEME = _("The Authorization header must use the Bearer scheme: 'Bearer <access token>'.")
NOT_ASCII = _("The Authorization header holds characters no access token has.")


class TokenRejected(exceptions.AuthenticationFailed):
    """A 401 whose code says why; already audited where it was raised."""

    audited = True

    def __init__(self, code: ErrorCode, detail: Any = None) -> None:
        super().__init__(detail or REASONS[code], code=code)


def reject(code: ErrorCode, user_id: Any = None, detail: Any = None) -> TokenRejected:
    emit(
        E.AUTH_TOKEN_REJECTED,
        outcome="failure",
        reason=code,
        actor=None,
        source="auth",
        details={"user_id": user_id} if user_id is not None else None,
        message=f"token rejected: {code}",
    )
    return TokenRejected(code, detail)


def bad_header(detail: Any) -> TokenRejected:
    return reject(ErrorCode.BAD_AUTHORIZATION_HEADER, detail=detail)


class AuditedJWTAuthentication(JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Token] | None:  # type: ignore[override]
        header = request.META.get(api_settings.AUTH_HEADER_NAME)
        if header is None:
            return None  # anonymous: a view that needs a user answers 401 not_authenticated
        token = self.validated(self.token_in(header))
        user = self.user_for(token)
        use_preference(request, user)
        return user, token

    @staticmethod
    def token_in(header: str) -> bytes:
        """The token of a `Bearer <token>` header; anything else is refused with what is wrong.

        simplejwt's own parsing lets another scheme pass as anonymous and answers extra
        words with a nested error, so the header is read here.
        """
        if not (header.isascii() and header.isprintable()):  # raw bytes, NUL and other control characters
            raise bad_header(NOT_ASCII)
        parts = header.split()
        if not parts or (len(parts) == 1 and parts[0] in api_settings.AUTH_HEADER_TYPES):
            raise bad_header(EMPTY_HEADER)
        if parts[0] not in api_settings.AUTH_HEADER_TYPES:
            raise bad_header(OTHER_SCHEME)
        if len(parts) != 2:
            raise bad_header(EXTRA_WORDS)
        return parts[1].encode("ascii")

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
