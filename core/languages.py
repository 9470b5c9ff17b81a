"""The languages MedCamp speaks, and which one a request, a user or a patient gets.

`settings.LANGUAGES` is the list: a language is added by its catalogue (locale/<code>/) and one
line there (docs/languages.md). A stored language is a code such as "hi"; its field carries no
choices in the schema, so adding a language needs no migration: forms and serializers offer
`settings.LANGUAGES` as it is, and `known_language` refuses a code it does not list.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

# Set on a request whose language was not asked for (no Accept-Language the project speaks):
# the signed-in user's preference decides, once the API has authenticated the token.
FROM_USER = "medcamp_language_from_user"


def codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def supported(code: str | None) -> str | None:
    """The project's language for `code` ("hi-IN" is "hi"), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def from_header(header: str) -> str | None:
    """The first language of an Accept-Language header that the project speaks, or None."""
    for code, _quality in parse_accept_lang_header(header[:255]):
        if code != "*" and (found := supported(code)):
            return found
    return None


def known_language(value: str) -> None:
    if value and value not in codes():
        raise ValidationError(_("Choose one of the listed languages."), code="invalid_choice")


class LanguageField(models.CharField):  # type: ignore[type-arg]
    """A language code from `settings.LANGUAGES`, offered as a choice in forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("validators", [known_language])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return forms.TypedChoiceField(
            choices=[("", "---------"), *settings.LANGUAGES] if self.blank else settings.LANGUAGES,
            label=kwargs.get("label", self.verbose_name),
            help_text=self.help_text,
            required=not self.blank,
            initial=self.default if self.has_default() else None,
        )


def use_preference(request: Any, user: Any) -> None:
    """Answer an API request that asked for no language in the user's own (called once the
    token is authenticated; clinic.locale set FROM_USER on the request)."""
    raw = getattr(request, "_request", request)
    language = supported(getattr(user, "language", ""))
    if getattr(raw, FROM_USER, False) and language:
        translation.activate(language)
        raw.LANGUAGE_CODE = language


def english(text: Any) -> str:
    """`text` (a lazy translation) in English, as audit events and logs are written."""
    with translation.override("en"):
        return str(text)
