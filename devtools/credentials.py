"""Development credentials: generated passwords kept in var/dev-credentials.txt (ignored by git).

Only the DEBUG-only commands ensure_dev_admin and seed_demo use this; it prints nothing to a log.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def path() -> Path:
    return Path(settings.BASE_DIR) / "var" / "dev-credentials.txt"


def read() -> dict[str, str]:
    file = path()
    if not file.exists():
        return {}
    pairs = (line.split() for line in file.read_text().splitlines() if line.strip())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def save(username: str, password: str) -> None:
    saved = read()
    saved[username] = password
    file = path()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text("".join(f"{user} {secret}\n" for user, secret in sorted(saved.items())))
    file.chmod(0o600)
