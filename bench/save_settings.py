"""Settings for bench/audit_save.py: the project plus the trackers it is compared with."""

import os

os.environ.setdefault("MEDCAMP_TESTING", "1")
os.environ.setdefault("AUDIT_CONSOLE", "off")

from clinic.settings import *  # noqa: F403
from clinic.settings import DATABASES, INSTALLED_APPS

POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
INSTALLED_APPS = [*INSTALLED_APPS, "auditlog", "bench.saveapp"]
if POSTGRES:
    INSTALLED_APPS += ["pgtrigger", "pghistory"]
    PGTRIGGER_INSTALL_ON_MIGRATE = False  # bench/audit_save.py installs them once the tables exist
    PGTRIGGER_MIGRATIONS = False
MIGRATION_MODULES = {"saveapp": None}  # tables made by migrate --run-syncdb
