"""The benchmark-only app of bench/audit_save.py."""

from django.apps import AppConfig


class SaveappConfig(AppConfig):
    name = "bench.saveapp"
    label = "saveapp"
