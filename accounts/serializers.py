"""What the auth and users endpoints read and answer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.roles import ALL_ROLES
from core.languages import known_language


@extend_schema_field({"type": "string", "description": "an email address, or empty when the user has none"})
class OptionalEmail(serializers.CharField):
    """Answered as stored: `format: email` would be untrue of the empty string users without one have."""


class UserSerializer(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()
    email = OptionalEmail(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_active", "language", "roles"]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        return user.role_names()


class LoginSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RefreshSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2048)


class LogoutSerializer(serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2048, required=False)


class UserCreateSerializer(serializers.Serializer[Any]):
    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(max_length=256, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ALL_ROLES), required=False)

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(_("A user with this username already exists."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(username=attrs["username"], email=attrs.get("email", ""))
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except Exception as exc:  # django ValidationError -> field error
            raise serializers.ValidationError({"password": list(getattr(exc, "messages", [str(exc)]))}) from None
        return attrs


class UserUpdateSerializer(serializers.Serializer[Any]):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    # The language of the user's screens and of the API when the app asks for none; "" for the device's.
    language = serializers.CharField(max_length=8, required=False, allow_blank=True, validators=[known_language])
    # Checked against the user's other details by the service, which loads the user once.
    password = serializers.CharField(max_length=256, write_only=True, required=False, trim_whitespace=False)


class RoleSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=ALL_ROLES)
