"""The camps API."""

from __future__ import annotations

from camps import views
from core.views import router

api = router()
api.register("camps", views.CampViewSet, basename="camp")
urlpatterns = api.urls
