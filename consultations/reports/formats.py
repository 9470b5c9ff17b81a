"""The same tables as CSV files (one per section, zipped) and as an XLSX workbook (one sheet each).

Both carry a header naming what the report covers, when it was made and by whom; numbers stay
numbers (an XLSX cell is numeric, a CSV cell is written without quotes or units). Both are
written by core.exports, which keeps a diagnosis or a name from becoming a formula.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from typing import Any

from consultations.reports.table import Table
from core import exports


def _lines(table: Table, header: list[list[Any]]) -> Iterable[list[Any]]:
    yield from header
    yield [table.title]
    if table.note:
        yield [table.note]
    yield exports.Bold(table.columns)
    yield from table.rows
    if table.totals is not None:
        yield exports.Bold(table.totals)


def as_csv_zip(tables: list[Table], header: list[list[Any]]) -> bytes:
    """One CSV per table (`01-attendance.csv`...), zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(tables, start=1):
            archive.writestr(f"{number:02d}-{table.key}.csv", exports.csv_file(_lines(table, header)))
    return buffer.getvalue()


def as_xlsx(tables: list[Table], header: list[list[Any]]) -> bytes:
    """One sheet per table, named after it; the columns' row and the totals in bold."""
    return exports.xlsx_file((table.title, _lines(table, header)) for table in tables)
