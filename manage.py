#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    if sys.argv[1:2] != ["runserver"]:
        # A command (a migration, audit_verify over a national store) is no request with a client
        # waiting: its statements may run long; lock waits stay bounded (docs/deployment.md, "Timeouts").
        os.environ.setdefault("DB_STATEMENT_TIMEOUT_SECONDS", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
