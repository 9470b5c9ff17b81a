from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<int:pk>/roles/", views.UserRolesView.as_view(), name="user-roles"),
    path("users/<int:pk>/roles/<str:role>/", views.UserRoleDetailView.as_view(), name="user-role-detail"),
]
