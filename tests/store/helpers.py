"""Helpers for the store's tests: settable clocks, and a Redis URL nobody answers on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


class Ticker:
    """A settable clock (seconds), for the monotonic and the wall clocks alike."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def refusing_redis_url() -> Iterator[str]:
    """A loopback port held bound but not listening: every connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
