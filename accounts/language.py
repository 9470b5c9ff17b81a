"""The language switcher in admin's header: the signed-in user's own preference, saved (and so
audited, like any change to a user) and applied from the next page on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import User
from audit.history import audited_save
from core.languages import supported


def set_my_language(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/admin/"
    language = supported(request.POST.get("language"))
    if language is None:
        return HttpResponseRedirect(target)
    user = request.user
    if isinstance(user, User) and user.language != language:
        user.language = language
        audited_save(user, by=user, update_fields=["language"])
    response = HttpResponseRedirect(target)
    # The sign-in page, before anyone is signed in, speaks the language last chosen on this device.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
    )
    return response
