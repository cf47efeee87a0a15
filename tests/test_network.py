"""The shared reading of network failures and addresses (bot/network.py)."""

from __future__ import annotations

import errno
import socket

import pytest

from bot.network import cannot_listen, connection_failure, http_url


@pytest.mark.parametrize(
    ("host", "url"),
    [("127.0.0.1", "http://127.0.0.1:8080"), ("::1", "http://[::1]:8080"), ("h", "http://h:8080")],
    ids=["ipv4", "ipv6", "name"],
)
def test_a_url_for_a_listening_address_brackets_ipv6(host: str, url: str) -> None:
    """An IPv6 address goes in brackets, or the URL cannot be used (http://::1:8080 is not one)."""
    assert http_url(host, 8080) == url


def test_a_wrapped_refusal_is_found_under_the_wrapper() -> None:
    """A refusal under another exception (as libraries wrap it) is still called a refusal."""
    outer = RuntimeError("transport failed")
    outer.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    assert connection_failure(outer) == "connection refused"


def test_a_port_in_use_is_one_line_in_errnos_words() -> None:
    """The listen failure names the address and says why, in errno's words, lower case."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with socket.socket() as second, pytest.raises(OSError, match="in use") as caught:
            second.bind(("127.0.0.1", port))
    assert cannot_listen(caught.value, "127.0.0.1", port) == (
        f"cannot listen on 127.0.0.1:{port}: address already in use"
    )
