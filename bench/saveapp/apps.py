from django.apps import AppConfig


class SaveappConfig(AppConfig):
    name = "bench.saveapp"
    label = "saveapp"
