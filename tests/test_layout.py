"""The tests' house: a test module beside each module of bot/ that has logic, and no test
module importing another (what several share lives in a helpers module).

A module has logic when it defines a function or a method. ``bot/gateway/ids.py`` is
tested by ``tests/gateway/test_ids.py``; scenario tests, which go through the real app,
live in ``tests/scenarios/`` whatever they touch.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
TESTS = ROOT / "tests"

# Modules with logic and no test module of their own, each with why.
EXCEPTIONS: dict[str, str] = {}


def has_logic(source: str) -> bool:
    """Whether a module defines a function or a method (not only data, types or imports)."""
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(ast.parse(source))
    )


def mirror_of(module: Path) -> Path:
    """Where *module*'s tests live: the same path under tests/, the name prefixed test_."""
    relative = module.relative_to(BOT)
    return TESTS / relative.parent / f"test_{relative.stem}.py"


def modules_without_tests() -> list[str]:
    missing = []
    for module in sorted(BOT.rglob("*.py")):
        name = module.relative_to(ROOT).as_posix()
        if module.name == "__init__.py" or name in EXCEPTIONS:
            continue
        if has_logic(module.read_text(encoding="utf-8")) and not mirror_of(module).exists():
            missing.append(f"{name}: expected {mirror_of(module).relative_to(ROOT)}")
    return missing


def test_every_module_with_logic_has_a_test_module_beside_it() -> None:
    assert modules_without_tests() == []


def test_every_exception_names_a_module_with_logic_and_no_tests() -> None:
    stale = [
        name
        for name in EXCEPTIONS
        if not (ROOT / name).exists()
        or not has_logic((ROOT / name).read_text(encoding="utf-8"))
        or mirror_of(ROOT / name).exists()
    ]
    assert stale == []
    assert all(why.strip() for why in EXCEPTIONS.values())


def imported_test_modules(source: str) -> list[str]:
    """The test modules (tests.….test_…) a source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [
            name
            for name in names
            if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
        ]
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        path.relative_to(ROOT).as_posix(): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_rules_read_sources_as_described() -> None:
    assert has_logic("def f() -> None: ...")
    assert has_logic("class C:\n    def m(self) -> None: ...")
    assert not has_logic("X = 1\nclass C:\n    y: int\n")
    assert mirror_of(BOT / "gateway" / "ids.py") == TESTS / "gateway" / "test_ids.py"
    assert mirror_of(BOT / "cli.py") == TESTS / "test_cli.py"
    assert imported_test_modules("from tests.gateway.test_models import SEED") == [
        "tests.gateway.test_models"
    ]
    assert imported_test_modules("from tests.gateway import test_models") == [
        "tests.gateway.test_models"
    ]
    assert imported_test_modules("from tests.gateway.helpers import SEED_REPLY") == []


# slack_sdk's models (Block Kit) are pure; its clients are not. import-linter forbids
# only whole external packages, so this part of the cards' and reading's purity is here.
WEB_API = ("slack_sdk.web", "slack_sdk.socket_mode", "slack_sdk.webhook", "slack_sdk.oauth")


def imported_modules(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_cards_and_reading_never_import_slacks_web_api() -> None:
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}: {name}"
        for room in ("cards", "reading")
        for path in sorted((BOT / "slack" / room).rglob("*.py"))
        for name in imported_modules(path.read_text(encoding="utf-8"))
        if name.startswith(WEB_API)
    ]
    assert offenders == []
