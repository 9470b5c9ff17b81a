"""Form fields bounded as the API's parser is: JSON typed into admin's forms.

Python's json decoder recurses once per nested array or object (`[` * 2,000 ran out of stack),
raises a bare ValueError on an integer of more than 4,300 digits (Python's limit on converting
long strings, docs "Integer string conversion length limitation"), and decodes `"\\ud800"` to a
lone surrogate no UTF-8 page or database text can hold. Django's JSONField form field catches
only JSONDecodeError, so each was a 500; here each is the form's error on the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from core.parsers import MAX_DEPTH, holds_lone_surrogate, nesting


class BoundedJSONField(forms.JSONField):
    """Django's JSON form field, refusing text nested deeper than core.parsers.MAX_DEPTH (counted
    before decoding), a number Python will not convert, and a lone surrogate."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and nesting(value) > MAX_DEPTH:
            raise ValidationError(
                _("Enter JSON whose arrays and objects nest at most %(max)s deep."),
                code="too_deep",
                params={"max": MAX_DEPTH},
            )
        try:
            converted = super().to_python(value)
        except ValueError:  # not a JSONDecodeError: an integer past Python's digit limit
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value}) from None
        if holds_lone_surrogate(converted):
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})
        return converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        """The text typed, shown again as typed when it is refused (Django's own decodes it unbounded)."""
        if not self.disabled and isinstance(data, str):
            try:
                self.to_python(data)
            except ValidationError:
                return InvalidJSONInput(data)
        return super().bound_data(data, initial)
