"""Compile the translation catalogues (.po to the .mo files gettext reads), with polib.

`make run`, `make camp` and `make test` call it (`python -m core.catalogues`), so no one compiles
by hand and a camp laptop needs no GNU gettext. A catalogue is compiled again when its .po is
newer than its .mo; fuzzy entries are left out of the .mo, as msgfmt leaves them.
`make messages` (`python -m core.catalogues messages [language ...]`) first updates the
catalogues from the source with makemessages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
# The project's own messages, then Django admin's strings that Django's catalogues lack.
CATALOGUE_DIRS = ("locale", "library_locale")
# What makemessages reads no message from: tests, benchmarks, demo data, and what is not source.
NOT_EXTRACTED = ("tests/*", "bench/*", "devtools/*", "deploy/*", "docs/*", "staticfiles/*", "var/*", "library_locale/*")


def makemessages_command(languages: list[str]) -> list[str]:
    """`manage.py makemessages` as the project runs it (`make messages`; the catalogue test)."""
    command = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    return command + [f"--ignore={pattern}" for pattern in NOT_EXTRACTED] + [f"-l{code}" for code in languages]


def catalogues(root: Path = ROOT) -> list[Path]:
    return sorted(po for name in CATALOGUE_DIRS for po in (root / name).glob("*/LC_MESSAGES/*.po"))


def compile_all(root: Path = ROOT) -> list[Path]:
    """Compile every stale catalogue; the .mo files written."""
    written = []
    for po in catalogues(root):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            polib.pofile(str(po)).save_as_mofile(str(mo))
            written.append(mo)
    return written


if __name__ == "__main__":
    if sys.argv[1:2] == ["messages"]:  # update the catalogues from the source, then compile them
        languages = sys.argv[2:] or sorted(p.name for p in (ROOT / "locale").iterdir() if p.is_dir())
        subprocess.run(makemessages_command(languages), cwd=ROOT, check=True)  # noqa: S603 - our own command line
    done = compile_all()
    print(f"catalogues: {len(done)} compiled, {len(catalogues()) - len(done)} up to date", file=sys.stderr)
