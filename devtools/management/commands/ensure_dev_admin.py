"""Create a development admin once and print its credentials (development only).

The password is generated on first run and kept in var/dev-credentials.txt, which git
ignores; it is printed to the terminal, never to a log.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_assign_role
from devtools import credentials as devcredentials


class Command(BaseCommand):
    help = "Create the development admin (DEBUG only) and print its credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("ensure_dev_admin is for development (DJANGO_DEBUG=1) only.")
        user = User.objects.filter(username="admin").first()
        password = devcredentials.read().get("admin")
        if user is None or password is None:
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User.objects.create_superuser("admin", "", password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            devcredentials.save("admin", password)
        if not user.has_role("admin"):
            user_assign_role(by=user, user=user, role="admin")
        self.stdout.write(self.style.SUCCESS(f"Development admin: username 'admin', password {password!r}"))
