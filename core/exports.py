"""The one writer of every export: CSV lines (streamed, or a whole file) and XLSX workbooks.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@`, a tab or a carriage return as a
formula, so a patient's name or a refused sign-in's username could put a live link or a command
in the reader's spreadsheet. Following OWASP's guidance
(https://owasp.org/www-community/attacks/CSV_Injection):

- CSV: such a text cell is written with a single quote in front (`'=HYPERLINK(...)`; LibreOffice
  imports it as text and shows the quote). A text cell holding a separator a spreadsheet may
  split on (comma, semicolon, tab), a double quote or a line break is wrapped in double quotes,
  its own doubled (RFC 4180), so no part of it starts a cell of its own.
- XLSX: every text cell is a string cell, exactly as typed; openpyxl would otherwise store text
  beginning with `=` as a formula (https://openpyxl.readthedocs.io/en/stable/usage.html).
- Leading whitespace hides nothing: " =1+1" is neutralised too, because an importer that trims
  spaces (LibreOffice's "Trim spaces" CSV option) would run what follows.
- Nor does a leading control character: LibreOffice drops a leading NUL (U+0000) and imports
  NUL followed by "=1+1" as the formula =1+1. So a cell that begins with any C0 control (U+0000
  to U+001F) or DEL gets the quote, as one beginning with a tab or CR does, and so does one that
  begins with = + - @ after spaces and control characters.
- CSV text that looks like a number ("0012", "1e5") is read by LibreOffice as one (12, 100000): left
  as is (OWASP's guidance does not cover it); XLSX keeps it text.

An XLSX cell cannot hold a control character other than tab, line feed and carriage return
(XML 1.0 forbids them; openpyxl raises IllegalCharacterError): each is written as U+FFFD, so a
name typed with one still exports, and shows where it was.

Numbers (int, float, Decimal, negative ones included) stay numbers in both formats; None is an
empty cell; a date or time is written as the caller gives it (the callers hand rendered text).
No other module writes an export: tests/reports/test_export_cells.py fails on a `csv.writer(` or
an openpyxl workbook anywhere else.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@")  # after any leading whitespace and control characters
CONTROL_STARTS = tuple(map(chr, [*range(0x20), 0x7F]))  # C0 and DEL (tab and CR among them), first
LEADING = re.compile(r"^[\s\x00-\x1f\x7f]+")  # what an importer may drop or trim before a formula
CSV_QUOTED = frozenset(',;\t"\r\n')
AS_GIVEN = (int, float, Decimal, dt.date, dt.time)  # bool is an int; datetime is a date
SHEET_NAME_MAX = 31  # Excel's limit on a sheet's name


class Bold(list[Any]):
    """A line written in bold in XLSX (a table's columns, its totals); in CSV, a line like any other."""


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet could take `text` as a formula (OWASP's leading characters)."""
    return text.startswith(CONTROL_STARTS) or LEADING.sub("", text, count=1).startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> str:
    """One CSV field: a number as it is, None empty, text neutralised and quoted when it must be."""
    if value is None:
        return ""
    if isinstance(value, AS_GIVEN):
        return str(value)
    text = str(value)
    if starts_a_formula(text):
        text = "'" + text
    if CSV_QUOTED.intersection(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line, ended by CRLF as RFC 4180 (and Python's csv module) end it."""
    cells = [csv_cell(value) for value in values]
    if cells == [""]:
        cells = ['""']  # a single empty field, not an empty line (as the csv module writes it)
    return ",".join(cells) + "\r\n"


def csv_lines(lines: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Line after line, for a streamed response."""
    for line in lines:
        yield csv_line(line)


def csv_file(lines: Iterable[Iterable[Any]]) -> str:
    """A whole CSV file."""
    return "".join(csv_lines(lines))


def xlsx_file(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of (title, lines) sheets, written by openpyxl in write-only mode (rows streamed)."""
    book = Workbook(write_only=True)
    for title, lines in sheets:
        sheet = book.create_sheet(title=title[:SHEET_NAME_MAX])
        for line in lines:
            sheet.append([_xlsx_cell(sheet, value, bold=isinstance(line, Bold)) for value in line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any, *, bold: bool) -> WriteOnlyCell:
    if value is None or isinstance(value, AS_GIVEN):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
        cell.data_type = "s"  # text, never a formula, whatever it begins with
    if bold:
        cell.font = Font(bold=True)
    return cell
