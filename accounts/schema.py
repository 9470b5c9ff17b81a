"""Describes our JWT authentication in the OpenAPI schema as bearer auth (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class AuditedJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.AuditedJWTAuthentication"
    name = "bearerAuth"
