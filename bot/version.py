"""The installed version, for --version, /metrics and /qrinfo status."""

from __future__ import annotations

import importlib.metadata


def version() -> str:
    try:
        return importlib.metadata.version("qrinfo")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "(not installed)"
