"""The consultations API: queue, consultations, prescriptions, visits and pickups."""

from __future__ import annotations

from consultations import views
from core.views import router

api = router()
api.register("queue", views.QueueViewSet, basename="queue")
api.register("consultations", views.ConsultationViewSet, basename="consultation")
api.register("prescriptions", views.PrescriptionViewSet, basename="prescription")
api.register("patients", views.PatientConsultationsViewSet, basename="patient-consultations")
api.register("visits", views.VisitViewSet, basename="visit")
urlpatterns = api.urls
