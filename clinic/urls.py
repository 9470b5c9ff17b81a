"""The project's URLs: /api/v1/ (every app's router, health, schema, docs) and /admin/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.language import set_my_language
from audit.views import HealthView
from clinic.metrics import metrics_view

api: list[URLPattern | URLResolver] = [
    path("", include("accounts.urls")),
    path("", include("camps.urls")),
    path("", include("patients.urls")),
    path("", include("pharmacy.urls")),
    path("", include("consultations.urls")),
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="schema", authentication_classes=[], permission_classes=[]),
        name="docs",
    ),
]

urlpatterns = [
    path("metrics", metrics_view, name="metrics"),  # Prometheus: clinic/metrics.py, docs/monitoring.md
    path("admin/language/", set_my_language, name="set-my-language"),  # before sign-in too
    path("admin/", admin.site.urls),
    path("api/v1/", include(api)),
]

handler400 = "clinic.errors.handler400"
handler404 = "clinic.errors.handler404"
handler500 = "clinic.errors.handler500"

admin.site.site_header = "MedCamp"
admin.site.index_template = "admin/medcamp_index.html"  # the camp day at a glance (consultations)
admin.site.site_title = "MedCamp"
admin.site.index_title = _("Camp records")
