"""Create the first admin of a new installation, without a prompt (production's first step).

    MEDCAMP_ADMIN_PASSWORD=... manage.py create_admin --username alice
    printf '%s' "$PASSWORD" | manage.py create_admin --username alice --password-stdin

The password never travels as an argument, so it does not land in shell history or in
the process list. The user is a superuser with the admin role; the password must pass
Django's password validators.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.roles import ADMIN
from accounts.services import user_create

PASSWORD_VARIABLE = "MEDCAMP_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a password)


class Command(BaseCommand):
    help = f"Create an admin (superuser with the admin role); password from ${PASSWORD_VARIABLE} or stdin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} already exists; nothing was changed.")
        password = self.password(options["password_stdin"])
        candidate = User(username=username, email=options["email"])
        try:
            password_validation.validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("The password was refused: " + " ".join(exc.messages)) from None
        user = user_create(
            by=None, username=username, password=password, email=options["email"], roles=[ADMIN], is_superuser=True
        )
        self.stdout.write(self.style.SUCCESS(f"Created admin {user.username!r} (id {user.pk})."))

    def password(self, from_stdin: bool) -> str:
        password = sys.stdin.readline().rstrip("\r\n") if from_stdin else os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            where = "standard input" if from_stdin else f"${PASSWORD_VARIABLE}"
            raise CommandError(f"No password: give it in {where}.")
        return password
