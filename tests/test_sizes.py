"""Sizes: no module under bot/ over 350 lines, no function or method over 40.

A function is measured from its ``def`` line to its last line, docstring included,
decorators not; a nested function counts on its own and inside the one around it. What
is over its limit is split by concept, or named in EXCEPTIONS with the reason it stays.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 40

# "bot/path.py" (a module) or "bot/path.py::Class.method" (a function, by its qualname,
# nested ones as "outer.<locals>.inner") -> why it may stay over its limit.
EXCEPTIONS: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Size:
    """A module or a function, its length in lines, and the limit it is held to."""

    key: str  # as in EXCEPTIONS
    lines: int
    limit: int
    line: int = 1  # where it starts

    @property
    def over(self) -> bool:
        return self.lines > self.limit

    def __str__(self) -> str:
        where = f", from line {self.line}" if "::" in self.key else ""
        return f"{self.key}: {self.lines} lines (limit {self.limit}){where}"


def measure(path: str, source: str) -> list[Size]:
    """The module at *path* (as the key names it) and every function in it, measured."""
    sizes = [Size(path, len(source.splitlines()), MAX_MODULE_LINES)]
    tree = ast.parse(source, filename=path)

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualname = prefix + child.name
                assert child.end_lineno is not None
                # lineno is the def line's: a decorator above it has a line of its own.
                lines = child.end_lineno - child.lineno + 1
                sizes.append(Size(f"{path}::{qualname}", lines, MAX_FUNCTION_LINES, child.lineno))
                visit(child, qualname + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:  # if/try/with blocks: what is defined inside keeps the enclosing prefix
                visit(child, prefix)

    visit(tree, "")
    return sizes


def measured() -> list[Size]:
    """Every module under bot/ and every function in it."""
    return [
        size
        for module in sorted((ROOT / "bot").rglob("*.py"))
        for size in measure(module.relative_to(ROOT).as_posix(), module.read_text("utf-8"))
    ]


def test_no_module_or_function_is_over_its_limit() -> None:
    over = [size for size in measured() if size.over and size.key not in EXCEPTIONS]
    if over:
        pytest.fail(
            f"{len(over)} over the limits (a module {MAX_MODULE_LINES} lines, a function "
            f"{MAX_FUNCTION_LINES}): split by concept, or add to EXCEPTIONS with why\n"
            + "\n".join(f"  {size}" for size in over),
            pytrace=False,
        )


def test_every_exception_names_something_still_over_its_limit() -> None:
    sizes = {size.key: size for size in measured()}
    stale = [
        f"  {sizes[key]}" if key in sizes else f"  {key}: not found"
        for key in EXCEPTIONS
        if key not in sizes or not sizes[key].over
    ]
    if stale:
        pytest.fail(
            "EXCEPTIONS no longer needed (within the limit, or gone): remove them\n"
            + "\n".join(stale),
            pytrace=False,
        )


def test_every_exception_says_why() -> None:
    assert [key for key, why in EXCEPTIONS.items() if not why.strip()] == []


SAMPLE = '''\
"""A module."""


@decorator
@another(
    "argument",
)
def decorated(x):
    """Its docstring counts."""
    return x


class Outer:
    async def method(self):
        def inner():
            pass

        return inner

    if True:
        def conditional(self):
            pass
'''


def test_functions_are_measured_def_to_last_line_without_decorators() -> None:
    sizes = {size.key: (size.lines, size.line) for size in measure("bot/sample.py", SAMPLE)}
    assert sizes == {
        "bot/sample.py": (22, 1),
        "bot/sample.py::decorated": (3, 8),
        "bot/sample.py::Outer.method": (5, 14),
        "bot/sample.py::Outer.method.<locals>.inner": (2, 15),
        "bot/sample.py::Outer.conditional": (2, 21),
    }
