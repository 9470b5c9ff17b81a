from __future__ import annotations

from django.urls import path

from consultations import views

urlpatterns = [
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("queue/<int:pk>/", views.QueueEntryView.as_view(), name="queue-entry"),
    path("consultations/", views.ConsultationListView.as_view(), name="consultation-list"),
    path("consultations/<int:pk>/", views.ConsultationDetailView.as_view(), name="consultation-detail"),
    path("consultations/<int:pk>/counselling/", views.CounsellingView.as_view(), name="consultation-counselling"),
    path(
        "consultations/<int:pk>/prescriptions/",
        views.ConsultationPrescriptionsView.as_view(),
        name="consultation-prescriptions",
    ),
    path("prescriptions/<int:pk>/", views.PrescriptionDetailView.as_view(), name="prescription-detail"),
    path("patients/<int:pk>/consultations/", views.PatientConsultationsView.as_view(), name="patient-consultations"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/<int:pk>/dispense/", views.VisitDispenseView.as_view(), name="visit-dispense"),
    path("visits/<int:pk>/pickup/", views.VisitPickupView.as_view(), name="visit-pickup"),
]
