"""The pharmacy API: medicines and batches."""

from __future__ import annotations

from core.views import router
from pharmacy import views

api = router()
api.register("medicines", views.MedicineViewSet, basename="medicine")
api.register("batches", views.BatchViewSet, basename="batch")
urlpatterns = api.urls
