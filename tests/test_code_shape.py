"""The code stays readable in one sitting: short functions, modules that say what they own.

No function over 60 lines (most are short); no module over 300 lines, and each opens with a
docstring; no lambdas in an admin's get_urls; no name that shadows a builtin or Django's Q/F.
"""

from __future__ import annotations

import ast
import builtins
import re
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


LONGEST_MODULE = 300
SKIP_DIRS = {".venv", ".venv-bench", "migrations", "node_modules", "__pycache__", ".git"}
# Names a reader takes for what they usually mean: Python's builtins and Django's query helpers.
WELL_KNOWN = (set(dir(builtins)) - {"_", "__doc__", "__name__", "__file__"}) | {"Q", "F"}


def modules() -> list[Path]:
    found = [p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts)]
    assert len(found) > 150  # the whole project was read
    return sorted(found)


def test_no_module_is_longer_than_three_hundred_lines():
    long = {str(p.relative_to(ROOT)): n for p in modules() if (n := p.read_text().count("\n")) > LONGEST_MODULE}
    assert not long, long


def test_every_module_opens_with_a_docstring():
    bare = [str(p.relative_to(ROOT)) for p in modules() if not ast.get_docstring(ast.parse(p.read_text()))]
    assert not bare, bare


def test_no_lambda_in_get_urls():
    found = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            in_get_urls = isinstance(node, ast.FunctionDef) and node.name == "get_urls"
            if in_get_urls and any(isinstance(inner, ast.Lambda) for inner in ast.walk(node)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


def test_no_name_shadows_a_well_known_one():
    found = []
    for path in modules():
        tree = ast.parse(path.read_text())
        # A class attribute (a command's `help`, a model's `id`) shadows nothing.
        in_class = {id(stmt) for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for stmt in cls.body}
        for node in ast.walk(tree):
            if id(node) in in_class:
                continue
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For):
                targets = [node.target]
            elif isinstance(node, ast.alias) and (node.asname or "") in WELL_KNOWN:
                found.append(f"{path.relative_to(ROOT)}: import as {node.asname}")
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store) and name.id in WELL_KNOWN:
                        found.append(f"{path.relative_to(ROOT)}:{name.lineno} {name.id}")
    assert not found, found


def test_who_did_it_is_said_by_one_helper():
    """`audit.events.actor_name` names the actor in messages; no module writes its own fallback."""
    inline = [
        str(path.relative_to(ROOT))
        for path in modules()
        if path.name != "test_code_shape.py" and re.search(r"""else ["']system["']""", path.read_text())
    ]
    assert inline == [], inline
