"""A consistent copy of the database, taken while the app goes on writing.

    manage.py backup DEST

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot
even in WAL mode with writers active, which a plain file copy does not; the copy's
integrity is checked before it replaces DEST. PostgreSQL: `pg_dump --format=custom`
(a consistent snapshot by MVCC), when pg_dump is installed. Either way DEST appears only
once the copy is whole (written beside it, then renamed), readable by its owner only
(0600: it holds every patient). docs/deployment.md says how to
restore and how often to run it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection


class Command(BaseCommand):
    help = "Copy the database consistently to DEST (SQLite backup API, or pg_dump -Fc for PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        dest: Path = options["dest"].resolve()
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(f".{dest.name}.partial")
        partial.unlink(missing_ok=True)
        # It holds every patient: readable by its owner only, from its first byte.
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        if connection.vendor == "sqlite":
            self.sqlite(partial)
        elif connection.vendor == "postgresql":
            self.postgresql(partial)
        else:
            raise CommandError(f"no backup for {connection.vendor}")
        os.chmod(partial, 0o600)  # whatever the copying tool made of it
        partial.replace(dest)
        self.stdout.write(f"backup written: {dest} ({dest.stat().st_size:,} bytes)")

    def sqlite(self, partial: Path) -> None:
        connection.ensure_connection()
        with sqlite3.connect(partial) as copy:
            connection.connection.backup(copy)  # one step: a snapshot no writer can tear
            result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.close()
        if result != "ok":
            partial.unlink(missing_ok=True)
            raise CommandError(f"the copy failed its integrity check: {result}")

    def postgresql(self, partial: Path) -> None:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise CommandError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        params = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": str(params.get("PASSWORD") or "")}  # never on the command line
        command = [pg_dump, "--format=custom", "--no-owner", "--file", str(partial), "--dbname", str(params["NAME"])]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if params.get(key):
                command += [flag, str(params[key])]
        # The arguments are the configured database's own settings, passed as a list (no shell).
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {done.stderr.strip()[:500]}")
