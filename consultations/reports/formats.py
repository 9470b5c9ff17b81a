"""The same tables as CSV files (one per section, zipped) and as an XLSX workbook (one sheet each).

Both carry a header naming what the report covers, when it was made and by whom; numbers stay
numbers (an XLSX cell is numeric, a CSV cell is written without quotes or units). XLSX is
written by openpyxl (https://openpyxl.readthedocs.io/), in write-only mode (rows streamed).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from consultations.reports.table import Table

SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name


def _lines(table: Table, header: list[list[Any]]) -> Iterable[list[Any]]:
    yield from header
    yield [table.title]
    if table.note:
        yield [table.note]
    yield table.columns
    yield from table.rows
    if table.totals is not None:
        yield table.totals


def as_csv_zip(tables: list[Table], header: list[list[Any]]) -> bytes:
    """One CSV per table (`01-attendance.csv`...), zipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(tables, start=1):
            text = io.StringIO()
            writer = csv.writer(text)
            for line in _lines(table, header):
                writer.writerow(["" if cell is None else cell for cell in line])
            archive.writestr(f"{number:02d}-{table.key}.csv", text.getvalue())
    return buffer.getvalue()


def as_xlsx(tables: list[Table], header: list[list[Any]]) -> bytes:
    """One sheet per table, named after it; the columns' row and the totals in bold."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:SHEET_NAME_MAX])
        for line in _lines(table, header):
            bold = line is table.columns or line is table.totals
            sheet.append([_cell(sheet, value, bold) for value in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(sheet: Any, value: Any, bold: bool) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = Font(bold=True)
    return cell
