"""Finding people by name in any script: one folding of text, the same in Python and in SQL.

`fold` is what a search compares: Unicode NFC (so a name typed on a phone keyboard that
composes characters differently still matches; Devanagari's nukta letters are the common
case) and lower case (Latin, Cyrillic, Greek...; Devanagari and Telugu have no case).
`name__folds="devi"` is a lookup that finds `text` containing the folded term:

- PostgreSQL: `LOWER(NORMALIZE(col, NFC))`; its LOWER folds all of Unicode in a UTF-8
  database (it does under the C.UTF-8 and language locales).
- SQLite: its LOWER and LIKE fold ASCII only (https://sqlite.org/lang_corefunc.html#lower),
  so every connection gets a `medcamp_fold` function that runs `fold` itself.

Both scan the column (a LIKE with a leading wildcard uses no b-tree index), which suits a
camp's or a district's patients; see docs/architecture.md for the national-scale note.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import CharField, Lookup, TextField

SQLITE_FUNCTION = "medcamp_fold"


def fold(text: str) -> str:
    """`text` as a search compares it: NFC, lower case."""
    return unicodedata.normalize("NFC", text).lower()


def _fold_or_none(text: str | None) -> str | None:
    return None if text is None else fold(text)


class Folds(Lookup):  # type: ignore[type-arg]
    """`field__folds=term`: the folded field contains the folded term."""

    lookup_name = "folds"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        folded = f"{SQLITE_FUNCTION}({lhs})" if connection.vendor == "sqlite" else f"LOWER(NORMALIZE({lhs}, NFC))"
        pattern = "%" + connection.ops.prep_for_like_query(fold(str(self.rhs))) + "%"
        return f"{folded} LIKE %s ESCAPE '\\'", [*lhs_params, pattern]


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _fold_or_none, deterministic=True)


def install() -> None:
    """Register the lookup and the SQLite function (CoreConfig.ready)."""
    CharField.register_lookup(Folds)
    TextField.register_lookup(Folds)
    connection_created.connect(_on_connection, dispatch_uid="core.text.fold")
