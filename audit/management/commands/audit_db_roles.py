"""PostgreSQL roles for MedCamp: an owner that migrates, and an app role that cannot change the audit trail.

    manage.py audit_db_roles --owner medcamp_owner --app medcamp_app            # print the SQL
    manage.py audit_db_roles --owner medcamp_owner --app medcamp_app --apply    # run the grants

Two steps (docs/deployment.md): as a superuser, create both roles and a database owned by
the owner (`--stage roles` prints that SQL; it is never applied from here); run `migrate`
as the owner; then, as the owner, the grants (`--stage grants`, the default, `--apply` runs
them on the configured database; run them again after each migrate, which may add a history
table). The app role may read and write every table except the trail's: the event store's
two and every history table, where it may only SELECT and INSERT (no UPDATE, DELETE or
TRUNCATE), and the ship cursor, which it may move (forward only, by trigger) but not delete.
As it owns no table it cannot drop or disable the triggers either (audit.append_only).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from audit.append_only import CURSORS, history_tables

AUDIT_TABLES = ("audit_auditevent", "audit_auditseal")
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def roles_sql(owner: str, app: str, database: str) -> list[str]:
    return [
        f"CREATE ROLE {owner} LOGIN",  # then: ALTER ROLE ... PASSWORD '...' (never in a file)
        f"CREATE ROLE {app} LOGIN",
        f"CREATE DATABASE {database} OWNER {owner}",
    ]


def grants_sql(owner: str, app: str, database: str) -> list[str]:
    tables = ", ".join((*AUDIT_TABLES, *history_tables()))
    return [
        # No TEMPORARY: a session's temporary table would be searched before the real one by name
        # (the trigger functions fix their search_path too: audit.append_only).
        f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database} TO {app}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {app}",
        f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON {CURSORS} FROM {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


class Command(BaseCommand):
    help = "Print (or apply) the SQL of the owner and app roles for PostgreSQL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", required=True, help="the role that runs migrations and owns the tables")
        parser.add_argument("--app", required=True, help="the role the app servers connect as")
        parser.add_argument("--database", help="default: the configured database's name")
        parser.add_argument("--stage", choices=("roles", "grants"), default="grants")
        parser.add_argument("--apply", action="store_true", help="run the grants on the configured database")

    def handle(self, *args: Any, **options: Any) -> None:
        owner, app = options["owner"], options["app"]
        database = options["database"] or str(connection.settings_dict["NAME"])
        for name in (owner, app, database):
            if not NAME.match(name):
                raise CommandError(f"{name!r} is not a plain PostgreSQL name (lower case, digits, _)")
        build = roles_sql if options["stage"] == "roles" else grants_sql
        statements = build(owner, app, database)
        if not options["apply"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        if options["stage"] != "grants" or connection.vendor != "postgresql":
            raise CommandError("--apply runs the grants on PostgreSQL only (create roles as a superuser)")
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"granted: {app} reads and writes MedCamp's tables, and only reads and adds audit events")
