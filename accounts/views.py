"""Signing in and out through the API (throttled, audited), the signed-in user, and users for admins."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as s
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts import selectors, services
from accounts.models import User
from accounts.permissions import user_of
from accounts.roles import ADMIN, ALL_ROLES, AUDITOR, EVERYONE
from accounts.serializers import (
    LoginSerializer,
    LogoutSerializer,
    RefreshSerializer,
    RoleSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from accounts.signin import SignInRefused, sign_in
from accounts.tokens import PASSWORD_CLAIM, RefreshToken, password_version
from audit import event_types as E
from audit.events import emit, target_of
from audit.viewsets import AuditedList, AuditedRetrieve
from core.error_codes import ErrorCode
from core.errors import DomainError, Forbidden
from core.idempotency import Idempotent
from core.views import ViewSet, valid

TokenPair = inline_serializer(
    "TokenPair", {"access": s.CharField(), "refresh": s.CharField(), "user": UserSerializer()}
)


class LoginView(Idempotent, APIView):
    """The password is checked before the transaction opens (its hash is slow: it would hold
    SQLite's write lock); what a sign-in writes (last_login, the auth.login event, the refresh
    token's OutstandingToken row) and the answer are then one transaction."""

    authentication_classes: list[Any] = []
    audit_resource = "auth"
    audit_action = "login"
    more_errors = {"POST": (401, 429)}
    one_transaction = False

    @extend_schema(request=LoginSerializer, responses={200: TokenPair})
    def post(self, request: Request) -> Response:
        data = valid(LoginSerializer, request)
        try:
            user = sign_in(request._request, data["username"], data["password"])
        except SignInRefused as refused:
            raise _refusal(refused) from None
        with transaction.atomic():
            user_logged_in.send(sender=User, request=request._request, user=user)
            refresh = RefreshToken.for_user(user)
            body = {"access": str(refresh.access_token), "refresh": str(refresh), "user": UserSerializer(user).data}
        return Response(body)  # plain data by now: rendering it asks the database nothing


def _refusal(refused: SignInRefused) -> DomainError:
    if refused.code == ErrorCode.THROTTLED:
        minutes = -(-(refused.retry_after or 60) // 60)
        return Throttled(
            ngettext_lazy(
                "Too many failed logins; try again in %(minutes)d minute.",
                "Too many failed logins; try again in %(minutes)d minutes.",
                minutes,
            ),
            params={"minutes": minutes},
            retry_after=refused.retry_after,
        )
    return DomainError(_("Wrong username or password."), code=ErrorCode.INVALID_CREDENTIALS, audited=True)


class Throttled(DomainError):
    """429, already logged by the sign-in; `Retry-After` says when to try again."""

    default_code = ErrorCode.THROTTLED

    def __init__(self, detail: Any, retry_after: int | None, params: dict[str, Any] | None = None) -> None:
        super().__init__(detail, params=params, audited=True)
        self.wait = retry_after  # DRF's handler sends it as the Retry-After header


class RefreshView(Idempotent, APIView):
    authentication_classes: list[Any] = []
    audit_resource = "auth"
    audit_action = "refresh"
    more_errors = {"POST": (401,)}

    @extend_schema(request=RefreshSerializer, responses={200: inline_serializer("Access", {"access": s.CharField()})})
    def post(self, request: Request) -> Response:
        raw = valid(RefreshSerializer, request)["refresh"]
        refresh = _refresh_token(raw)
        user = User.objects.filter(pk=refresh.get("user_id")).first()
        if user is None or not user.is_active:
            code = ErrorCode.USER_NOT_FOUND if user is None else ErrorCode.USER_INACTIVE
            raise DomainError(_("This refresh token's user cannot sign in."), code=code)
        if refresh.get(PASSWORD_CLAIM) != password_version(user):
            raise DomainError(_("The password changed after this token was issued."), code=ErrorCode.TOKEN_REVOKED)
        return Response({"access": str(refresh.access_token)})


class LogoutView(Idempotent, APIView):
    allowed_roles = {"POST": EVERYONE}
    audit_resource = "auth"
    audit_action = "logout"

    @extend_schema(
        request=LogoutSerializer,
        responses={
            200: inline_serializer("Logout", {"message": s.CharField(), "refresh_blacklisted": s.BooleanField()})
        },
    )
    def post(self, request: Request) -> Response:
        raw = valid(LogoutSerializer, request).get("refresh")
        blacklisted = False
        if raw:
            refresh = _refresh_token(raw)
            if str(refresh.get("user_id")) != str(request.user.pk):
                raise Forbidden(
                    _("That refresh token belongs to another user."), code=ErrorCode.REFRESH_TOKEN_NOT_OWNED
                )
            refresh.blacklist()
            blacklisted = True
        emit(
            E.AUTH_LOGOUT,
            source="auth",
            target=target_of(request.user),
            details={
                "user_id": request.user.pk,
                "username": request.user.get_username(),
                "refresh_blacklisted": blacklisted,
            },
            message=f"{request.user.get_username()} logged out",
        )
        message = gettext("Logged out. Delete the access and refresh tokens stored on this device.")
        return Response({"message": message, "refresh_blacklisted": blacklisted})


class MeViewSet(ViewSet):
    """GET auth/me/: the signed-in user."""

    allowed_roles = {"me": EVERYONE}
    audit_resource = "auth"

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        return Response(UserSerializer(user_of(request)).data)


class UserViewSet(AuditedList, AuditedRetrieve, ViewSet):
    # GET one user for admins and auditors, and for any user themself (checked in get_object).
    allowed_roles = {
        "list": {ADMIN, AUDITOR},
        "create": {ADMIN},
        "retrieve": EVERYONE,
        "partial_update": {ADMIN},
        "roles": {ADMIN},
        "remove_role": {ADMIN},
    }
    audit_resource = audit_type = "user"
    serializer_class = UserSerializer
    orderings = {"username": ("username",), "date_joined": ("date_joined",)}

    def get_queryset(self) -> QuerySet[User]:
        return selectors.users()

    def get_object(self) -> User:
        user: User = super().get_object()
        me = user_of(self.request)
        if self.action == "retrieve" and user.pk != me.pk and not me.has_role(ADMIN, AUDITOR):
            raise Forbidden(_("You may view only your own account."))
        return user

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def create(self, request: Request) -> Response:
        user = services.user_create(by=user_of(request), **valid(UserCreateSerializer, request))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        changes = valid(UserUpdateSerializer, request)
        return Response(UserSerializer(services.user_update(by=user_of(request), user_id=pk, **changes)).data)

    @extend_schema(request=RoleSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"], audit_resource="user_role")
    def roles(self, request: Request, pk: int) -> Response:
        role = valid(RoleSerializer, request)["role"]
        user = services.user_assign_role(by=user_of(request), user=self.get_object(), role=role)
        return Response(UserSerializer(user).data)

    @extend_schema(
        parameters=[OpenApiParameter("role", str, OpenApiParameter.PATH, enum=list(ALL_ROLES))],
        responses={200: UserSerializer},
    )
    @action(detail=True, methods=["delete"], url_path=r"roles/(?P<role>[^/.]+)", audit_resource="user_role")
    def remove_role(self, request: Request, pk: int, role: str) -> Response:
        user = services.user_remove_role(by=user_of(request), user=self.get_object(), role=role)
        return Response(UserSerializer(user).data)


def _refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except ExpiredTokenError:
        raise DomainError(_("The refresh token has expired; log in again."), code=ErrorCode.TOKEN_EXPIRED) from None
    except TokenError:
        raise DomainError(_("The refresh token is invalid or revoked."), code=ErrorCode.TOKEN_INVALID) from None
