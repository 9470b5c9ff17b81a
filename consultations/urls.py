"""The consultations API: queue, consultations, prescriptions, visits and pickups."""

from __future__ import annotations

from django.urls import path

from consultations import report_views, views
from core.views import router

api = router()
api.register("queue", views.QueueViewSet, basename="queue")
api.register("consultations", views.ConsultationViewSet, basename="consultation")
api.register("prescriptions", views.PrescriptionViewSet, basename="prescription")
api.register("patients", views.PatientConsultationsViewSet, basename="patient-consultations")
api.register("visits", views.VisitViewSet, basename="visit")
api.register("camps", report_views.CampReportViewSet, basename="camp-report")
urlpatterns = [*api.urls, path("reports/", report_views.RangeReportView.as_view(), name="reports")]
