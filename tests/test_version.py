"""The installed version (bot/version.py), and what a source tree never installed says."""

from __future__ import annotations

import importlib.metadata

import pytest

from bot.version import version


def test_the_version_is_the_installed_packages() -> None:
    assert version() == importlib.metadata.version("qrinfo")


def test_a_tree_never_installed_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    assert version() == "(not installed)"
