"""A real redis-server for the tests: started on a free loopback port in a temporary directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import free_port

REDIS_SERVER = shutil.which("redis-server")
NO_REDIS = (
    "redis-server not installed (apt-get install redis-server; .ci/run installs it): "
    "the shared-state tests need a real Redis"
)


class RedisServer:
    """One redis-server process; :meth:`stop` and :meth:`start` to lose it and get it back."""

    def __init__(self, directory: Path, *options: str) -> None:
        self.directory = directory
        self.options = options  # more of redis-server's own, e.g. ("--timeout", "1")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if REDIS_SERVER is None:
            if os.environ.get("TESTS_NEED_REDIS"):  # CI: never skipped
                pytest.fail(NO_REDIS)
            pytest.skip(NO_REDIS)
        self._process = subprocess.Popen(  # noqa: S603  # the tests' own server
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "no",
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        until = time.monotonic() + 10
        while time.monotonic() < until:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


@contextmanager
def redis_server(directory: Path, *options: str) -> Iterator[RedisServer]:
    server = RedisServer(directory, *options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
