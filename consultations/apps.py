"""The consultations app."""

from __future__ import annotations

from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consultations"
