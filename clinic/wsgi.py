"""WSGI entry point (gunicorn clinic.wsgi). Refuses to start with a malformed audit config."""

from __future__ import annotations

import os

from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

from core.parsers import Request  # after the line above: importing it reads the settings

application = get_wsgi_application()
application.request_class = Request  # a charset that is no text encoding refused, not a 500

_errors = [m for m in run_checks(tags=["audit"]) if m.is_serious()]
if _errors:
    raise ImproperlyConfigured("; ".join(str(m) for m in _errors))
