"""The catalogues as the docs show them: docs/audit-events.md's events, docs/api.md's error codes.

Each doc holds its table between two marker lines; `manage.py catalogue_docs` writes them and
`catalogue_docs --check` (and a test) fails when a doc and its catalogue differ.
"""

from __future__ import annotations

from pathlib import Path

from audit.event_types import EVENTS
from core import error_codes

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- generated from the catalogue ({source}); edit it there, then run manage.py catalogue_docs -->"
END = "<!-- end of the generated table -->"


def _events() -> str:
    return EVENTS.markdown()


def _codes() -> str:
    return error_codes.table()


TABLES = {
    ROOT / "docs" / "audit-events.md": ("audit/event_types.py", _events),
    ROOT / "docs" / "api.md": ("core/error_codes.py", _codes),
}


def rendered(path: Path) -> str:
    """The doc with its generated table as the catalogue says it is now."""
    source, table = TABLES[path]
    text = path.read_text(encoding="utf-8")
    begin = BEGIN.format(source=source)
    head, found, rest = text.partition(begin)
    if not found:
        raise ValueError(f"{path.name} has no line {begin!r}")
    _, found, tail = rest.partition(END)
    if not found:
        raise ValueError(f"{path.name} has no line {END!r}")
    return f"{head}{begin}\n{table()}\n{END}{tail}"


def stale() -> list[Path]:
    """The docs whose generated table differs from the catalogue."""
    return [path for path in TABLES if rendered(path) != path.read_text(encoding="utf-8")]


def write() -> list[Path]:
    changed = stale()
    for path in changed:
        path.write_text(rendered(path), encoding="utf-8")
    return changed
