from __future__ import annotations

from django.urls import path

from patients import views

urlpatterns = [
    path("patients/", views.PatientListView.as_view(), name="patient-list"),
    path("patients/<int:pk>/", views.PatientDetailView.as_view(), name="patient-detail"),
    path("patients/<int:pk>/visits/", views.PatientVisitsView.as_view(), name="patient-visits"),
    path("patients/<int:pk>/status/", views.PatientStatusView.as_view(), name="patient-status"),
    path("patients/<int:pk>/vitals/", views.PatientVitalsView.as_view(), name="patient-vitals"),
    path("visits/<int:pk>/vitals/", views.VisitVitalsView.as_view(), name="visit-vitals"),
    path("vitals/<int:pk>/", views.VitalsDetailView.as_view(), name="vitals-detail"),
]
