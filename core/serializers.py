"""Serializer pieces shared by the apps."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class NonEmptyUpdate:
    """A PATCH body must change something; an empty one is a 400, not a silent no-op."""

    empty_message = "Send at least one field to change."

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(self.empty_message)
        return super().validate(attrs)  # type: ignore[misc, no-any-return]
