from __future__ import annotations

from django.urls import path

from pharmacy import views

urlpatterns = [
    path("medicines/", views.MedicineListView.as_view(), name="medicine-list"),
    path("medicines/<int:pk>/", views.MedicineDetailView.as_view(), name="medicine-detail"),
    path("medicines/<int:pk>/batches/", views.MedicineBatchesView.as_view(), name="medicine-batches"),
    path("batches/<int:pk>/", views.BatchDetailView.as_view(), name="batch-detail"),
]
