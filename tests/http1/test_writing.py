"""A request's bytes as aiohttp writes them, and refused where aiohttp refuses them."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from bot.http1 import request_bytes, request_line
from tests.http1.helpers import Server, serving


def test_a_request_is_its_line_its_headers_in_order_a_blank_line_and_its_body() -> None:
    line = request_line("POST", URL("http://h:1/a%20b/c?x=1&y=%E6%B5%8B"))
    assert line == "POST /a%20b/c?x=1&y=%E6%B5%8B HTTP/1.1"
    request = request_bytes(line, [("Host", "h:1"), ("b", "2"), ("A", "1")], b"{}")
    assert (
        request == b"POST /a%20b/c?x=1&y=%E6%B5%8B HTTP/1.1\r\nHost: h:1\r\nb: 2\r\nA: 1\r\n\r\n{}"
    )


BAD = ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b", "a\x1bb", "a\x7fb"]


@pytest.mark.parametrize("bad", BAD, ids=["crlf", "lf", "cr", "nul", "esc", "del"])
async def test_a_control_character_in_a_header_is_refused_in_aiohttps_words(bad: str) -> None:
    async with serving(Server()) as url, aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="control character") as theirs:
            await session.get(url, headers={"X": bad})
    with pytest.raises(ValueError, match="control character") as ours:
        request_bytes("GET / HTTP/1.1", [("Host", "h"), ("X", bad)])
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError, match="Forbidden control character"):
        request_bytes("GET / HTTP/1.1", [("Host", "h"), (bad, "x")])
    with pytest.raises(ValueError, match="Forbidden control character"):
        request_bytes(f"GET /{bad} HTTP/1.1", [("Host", "h")])


def test_a_tab_is_not_a_control_character_here() -> None:
    assert request_bytes("GET / HTTP/1.1", [("X", "a\tb")]) == b"GET / HTTP/1.1\r\nX: a\tb\r\n\r\n"
