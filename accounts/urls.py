"""The accounts API: auth/login, refresh, logout, me; users."""

from __future__ import annotations

from django.urls import path

from accounts import views
from core.views import router

api = router()
api.register("auth", views.MeViewSet, basename="auth")
api.register("users", views.UserViewSet, basename="user")

# Signing in and out are not resources: plain views.
urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    *api.urls,
]
