from __future__ import annotations

from django.urls import path

from camps import views

urlpatterns = [
    path("camps/", views.CampListView.as_view(), name="camp-list"),
    path("camps/<int:pk>/", views.CampDetailView.as_view(), name="camp-detail"),
]
