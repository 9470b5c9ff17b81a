"""The language switcher in admin's header: a signed-in user's own preference, saved (and so
audited, like any change to a user) and applied from the next page on; before signing in,
the device's choice only (a cookie), which the sign-in page then speaks."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from audit.history import audited_save
from core.languages import supported


@require_POST
def set_my_language(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/admin/"
    response = HttpResponseRedirect(target)
    language = supported(request.POST.get("language"))
    if language is None:
        return response
    user = request.user
    if isinstance(user, User) and user.is_active and user.language != language:
        user.language = language
        audited_save(user, by=user, update_fields=["language"])
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax", secure=request.is_secure()
    )
    return response
