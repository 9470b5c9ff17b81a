"""JWTs that end when the password does.

Each token carries `pwv`, a short form of Django's session auth hash (an HMAC of the
password hash under SECRET_KEY, the value Django itself uses to end sessions after a
password change). When the password changes, every access token issued before no
longer matches and is refused with 401 `token_revoked`; refresh tokens are also
blacklisted (accounts.signals). Tokens are made only through these classes.
"""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.tokens import AccessToken as JwtAccessToken
from rest_framework_simplejwt.tokens import RefreshToken as JwtRefreshToken

PASSWORD_CLAIM = "pwv"  # noqa: S105 (a claim name, not a password)


def password_version(user: Any) -> str:
    """Changes whenever the user's password changes."""
    return str(user.get_session_auth_hash())[:16]


class AccessToken(JwtAccessToken):
    @classmethod
    def for_user(cls, user: Any) -> Any:
        token = super().for_user(user)
        token[PASSWORD_CLAIM] = password_version(user)
        return token


class RefreshToken(JwtRefreshToken):
    access_token_class = AccessToken  # its access tokens copy the claim

    @classmethod
    def for_user(cls, user: Any) -> Any:
        token = super().for_user(user)
        token[PASSWORD_CLAIM] = password_version(user)
        return token
