"""Which language a request is answered in.

- The API (`/api/`): the first language of `Accept-Language` that MedCamp speaks (the mobile
  app sends its own), else the signed-in user's preference (applied once DRF has read the
  token: `core.languages.use_preference`), else English.
- Pages (Django admin): the signed-in user's preference, else the language last chosen with the
  switcher on this device (its cookie), else the browser's `Accept-Language`, else English.

Whatever the language, audit events, codes and logs are written in English (audit.events).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.languages import FROM_USER, from_header, supported


def page_language(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and (chosen := supported(getattr(user, "language", ""))):
        return chosen
    return (
        supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        or from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        or settings.LANGUAGE_CODE
    )


class LanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            asked = from_header(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            setattr(request, FROM_USER, asked is None)
            language = asked or settings.LANGUAGE_CODE
        else:
            language = page_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
