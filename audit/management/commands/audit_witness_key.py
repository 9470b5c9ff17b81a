"""Make the audit witness's Ed25519 key: a new PEM file (mode 0600, never overwritten).

    manage.py audit_witness_key [--out PATH]

PATH defaults to AUDIT_WITNESS_KEY_FILE. It prints the public key and its key id, for the
auditor to pin (AUDIT_WITNESS_PUBLIC_KEY), and the settings that turn the witness on
(audit.witness; docs/deployment.md says who may read the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import witness


class Command(BaseCommand):
    help = "Make a new Ed25519 key file for the audit witness and print its public key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="where to write the key (default: AUDIT_WITNESS_KEY_FILE)")

    def handle(self, *args: Any, **options: Any) -> None:
        configured: str = settings.AUDIT_WITNESS_KEY_FILE
        path: Path | None = options["out"] or (Path(configured) if configured else None)
        if path is None:
            raise CommandError("name the key file: --out PATH (or set AUDIT_WITNESS_KEY_FILE)")
        try:
            key = witness.new_key_file(path)
        except FileExistsError as exc:
            raise CommandError(f"{path} exists: a witness key is never overwritten") from exc
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        public = key.public_key()
        self.stdout.write(f"witness key written to {path} (mode 0600)")
        self.stdout.write(f"public key: {witness.public_text(public)}")
        self.stdout.write(f"key id: {witness.key_id(public)}")
        self.stdout.write("settings of the app servers:")
        self.stdout.write(f"  AUDIT_WITNESS_KEY_FILE={path.resolve()}")
        self.stdout.write(f"  AUDIT_WITNESS_FILE={settings.AUDIT_WITNESS_FILE}")
        self.stdout.write("the auditor pins (and audit_verify --witness reads):")
        self.stdout.write(f"  AUDIT_WITNESS_PUBLIC_KEY={witness.public_text(public)}")
