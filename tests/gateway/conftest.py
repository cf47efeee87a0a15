"""Fixtures for the gateway tests: a port nobody answers on, the sandbox in-process."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.gateway.transport import new_http_client
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from tests.helpers import FIXED_NOW


@pytest.fixture
def refusing_url() -> Iterator[str]:
    """A loopback port held bound but not listening: the kernel refuses connections to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def full_backlog_url() -> Iterator[str]:
    """A listener whose accept queue is full: the kernel drops new SYNs, so connecting hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # room for one connection nobody accepts
        with socket.create_connection(listener.getsockname()):
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def sandbox() -> SandboxGateway:
    """The sandbox gateway, on the clients' fixed clock."""
    return SandboxGateway(wall_clock=lambda: FIXED_NOW)


@pytest.fixture
async def sandbox_http(sandbox: SandboxGateway) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client whose every request the in-process sandbox answers."""
    client = new_http_client(SandboxTransport(sandbox))
    yield client
    await client.aclose()
