"""The code stays readable in one sitting: no function longer than 60 lines, most of them short."""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "audit", "accounts", "camps", "patients", "pharmacy", "consultations", "devtools", "clinic"]
LONGEST = 60


def function_lengths() -> dict[str, int]:
    lengths = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    name = f"{path.relative_to(ROOT)}::{node.name}"
                    lengths[name] = (node.end_lineno or node.lineno) - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_sixty_lines():
    lengths = function_lengths()
    assert len(lengths) > 300  # every package was read
    too_long = {name: n for name, n in lengths.items() if n > LONGEST}
    assert not too_long, too_long


def test_most_functions_are_short():
    lengths = list(function_lengths().values())
    assert statistics.median(lengths) <= 8, statistics.median(lengths)
