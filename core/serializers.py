"""Serializer pieces shared by the apps."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class NonEmptyUpdate:
    """A PATCH body must change something; an empty one is a 400, not a silent no-op."""

    empty_message = _("Send at least one field to change.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(self.empty_message)
        return super().validate(attrs)  # type: ignore[misc, no-any-return]


# The largest id either database stores (a signed 64-bit integer): a larger one is a 400, not a crash.
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a request body: a whole number the database can hold."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
