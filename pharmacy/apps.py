"""The pharmacy app."""

from __future__ import annotations

from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "pharmacy"
