"""Receivers that keep every door audited and end sessions with the password.

- Django's auth signals log sign-ins (success and failure, never the password) and
  sign-outs, whichever view signed in: the API's login, Django admin, any future one.
- A password change or a deactivation, however it is saved (API, admin,
  `manage.py changepassword`, `set_password()` and `save()` in a shell), blacklists every
  refresh token of the user; access tokens issued before a password change no longer
  carry the current `pwv` claim and are refused (accounts.tokens, accounts.authentication).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import User
from accounts.signin import login_event, login_source
from audit import event_types as E
from audit.events import emit, target_of


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    login_event("failure", str(credentials.get("username", "")), "invalid_credentials")


def on_logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    # Replaces Django's update_last_login: an UPDATE of one column, no history row per sign-in.
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    login_event("success", user.get_username(), None, user)


def on_logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return
    emit(
        E.AUTH_LOGOUT,
        actor=user,
        source=login_source(),
        target=target_of(user),
        details={"user_id": user.pk, "username": user.get_username()},
        message=f"{user.get_username()} signed out",
    )


@dataclass(frozen=True)
class SessionsEnd:
    """A save of `user` that ends their sessions: a new password, or a deactivation."""

    user: User
    password_changed: bool
    rehash: bool  # the same password under a newer hasher (Django upgrades it at sign-in)


_ending: ContextVar[tuple[SessionsEnd, ...]] = ContextVar("medcamp_sessions_end", default=())
_rehashing: ContextVar[tuple[User, ...]] = ContextVar("medcamp_rehashing", default=())


@contextmanager
def password_rehash(user: User) -> Iterator[None]:
    """Saves of `user` inside this block only store a new hash of the password it already has."""
    token = _rehashing.set((*_rehashing.get(), user))
    try:
        yield
    finally:
        _rehashing.reset(token)


def before_user_save(sender: Any, instance: User, **kwargs: Any) -> None:
    loaded = instance.audit_loaded  # the values as loaded: a new user has none
    if not loaded:
        return
    password_changed = loaded.get("password") != instance.password
    deactivated = bool(loaded.get("is_active")) and not instance.is_active
    if password_changed or deactivated:
        rehash = any(user is instance for user in _rehashing.get())
        _ending.set((*_ending.get(), SessionsEnd(instance, password_changed, rehash)))


def after_user_save(sender: Any, instance: User, **kwargs: Any) -> None:
    pending = _ending.get()
    mine = [end for end in pending if end.user is instance]
    if not mine:
        return
    _ending.set(tuple(end for end in pending if end.user is not instance))
    revoked = revoke_refresh_tokens(instance)
    changed = [end for end in mine if end.password_changed]
    if not changed:
        return
    # A rehash ends earlier tokens too (they carry the old hash's version), so it is logged, as what it is.
    event, what = (
        (E.USER_PASSWORD_REHASHED, "was rehashed") if changed[-1].rehash else (E.USER_PASSWORD_CHANGED, "changed")
    )
    emit(
        event,
        target=target_of(instance),
        details={"refresh_tokens_revoked": revoked},
        message=f"the password of {instance.get_username()} {what}; {revoked} refresh tokens revoked",
        on_commit=True,
    )


def revoke_refresh_tokens(user: User) -> int:
    """Blacklist every unexpired refresh token of the user; how many were still open."""
    open_tokens = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).filter(
        blacklistedtoken__isnull=True
    )
    rows = [BlacklistedToken(token=token) for token in open_tokens]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def connect() -> None:
    from django.contrib.auth.models import update_last_login

    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_login_failed.connect(on_login_failed, dispatch_uid="accounts.login_failed")
    user_logged_in.connect(on_logged_in, dispatch_uid="accounts.logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="accounts.logged_out")
    pre_save.connect(before_user_save, sender=User, dispatch_uid="accounts.before_user_save")
    post_save.connect(after_user_save, sender=User, dispatch_uid="accounts.after_user_save")
