"""Writes of users and roles; each is one transaction and says what happened."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import event_types as E
from audit.catalogue import EventType
from audit.events import emit, target_of
from audit.history import audited_save
from core.error_codes import ErrorCode
from core.errors import Conflict, DomainError, NotFound, one_or_404


@transaction.atomic
def user_create(
    *, by: User | None, username: str, password: str, roles: list[str] | None = None, **details: Any
) -> User:
    """Create a user (password hashed, never logged) with optional roles."""
    user = User(username=username, **details)
    user.set_password(password)
    user.is_staff = bool(roles)
    audited_save(user, by=by, details={"roles": sorted(roles or [])})
    if roles:
        user.groups.set(Group.objects.filter(name__in=roles))
    user.forget_roles()
    return user


@transaction.atomic
def user_update(*, by: User, user_id: int, **changes: Any) -> User:
    """Update a user's details; a new password is hashed and shown only as changed."""
    user = one_or_404(User.objects.select_for_update().prefetch_related("groups"), user_id)
    password = changes.pop("password", None)
    for name, value in changes.items():
        setattr(user, name, value)
    if password:
        _check_password(password, user)
        user.set_password(password)
    audited_save(user, by=by, details={"password_changed": True} if password else None)
    return user


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(
            _("Some fields are invalid: %(first)s"),
            params={"first": exc.error_list[0].messages[0]},
            fields={"password": exc.error_list},
        ) from None


def _role_group(role: str) -> Group:
    group = Group.objects.filter(name=role).first()
    if group is None:
        raise NotFound(_("There is no role named “%(role)s”."), params={"role": role}, code=ErrorCode.UNKNOWN_ROLE)
    return group


@transaction.atomic
def user_assign_role(*, by: User, user: User, role: str) -> User:
    """Give a user a role (idempotent refusal: assigning a held role is a conflict)."""
    group = _role_group(role)
    before = user.role_names()
    if role in before:
        raise Conflict(
            _("%(user)s already has the role %(role)s."),
            params={"user": user.username, "role": role},
            code=ErrorCode.ROLE_ALREADY_ASSIGNED,
        )
    user.groups.add(group)
    _after_roles_change(by=by, user=user, before=before, event=E.USER_ROLE_ASSIGNED, role=role)
    return user


@transaction.atomic
def user_remove_role(*, by: User, user: User, role: str) -> User:
    """Take a role from a user."""
    group = _role_group(role)
    before = user.role_names()
    if role not in before:
        raise Conflict(
            _("%(user)s does not have the role %(role)s."),
            params={"user": user.username, "role": role},
            code=ErrorCode.ROLE_NOT_ASSIGNED,
        )
    user.groups.remove(group)
    _after_roles_change(by=by, user=user, before=before, event=E.USER_ROLE_REMOVED, role=role)
    return user


def _after_roles_change(*, by: User, user: User, before: list[str], event: EventType, role: str) -> None:
    user.forget_roles()
    after = user.role_names()
    staff = bool(after) or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        audited_save(user, by=by, update_fields=["is_staff"])
    verb = "gave" if event is E.USER_ROLE_ASSIGNED else "took"
    emit(
        event,
        actor=by,
        target=target_of(user),
        changes={"roles": {"old": before, "new": after}},
        message=f"{by.username} {verb} role {role} {'to' if verb == 'gave' else 'from'} {user.username}",
        on_commit=True,
    )
