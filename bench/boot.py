"""Django for a benchmark script: the project on sys.path, bench-only settings, audit sinks quiet.

    from bench import boot  # noqa: F401 (or boot.setup(...) with settings of the run's own)

Every variable is a default the caller's environment can override, except the console sink,
which is off so a benchmark's output is its figures.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_SECRET = "bench-only-secret-key-not-used-anywhere-else-0123456789"


def setup(**settings: str) -> None:
    """Configure and start Django: `settings` are environment variables set before it starts."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET)
    os.environ["AUDIT_CONSOLE"] = "off"
    for name, value in settings.items():
        os.environ[name] = value
    import django

    django.setup()
