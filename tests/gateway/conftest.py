"""Fixtures for the gateway tests: a port nobody answers on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A loopback port held bound but not listening: the kernel refuses connections to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
