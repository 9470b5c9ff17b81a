"""The patients API: patients, their visits, status and vitals."""

from __future__ import annotations

from core.views import router
from patients import views

api = router()
api.register("patients", views.PatientViewSet, basename="patient")
api.register("patients", views.PatientVitalsViewSet, basename="patient-vitals")
api.register("visits", views.VisitVitalsViewSet, basename="visit-vitals")
api.register("vitals", views.VitalsViewSet, basename="vitals")
urlpatterns = api.urls
