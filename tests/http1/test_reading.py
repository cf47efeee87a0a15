"""An answer read as aiohttp reads one: each against aiohttp's own reading of the same
bytes, served on loopback."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import aiohttp
import pytest
from aiohttp import hdrs

from bot.http1 import Http1, Limits
from bot.http1.reading import ACCEPT_ENCODING, Read
from tests.http1.helpers import Server, get, serving

DOC = '{"ok": true, "名": "测试"}'.encode()


def answer(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 200 OK\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


CASES = [
    answer(DOC, "Content-Type: application/json"),
    answer(gzip.compress(DOC), "Content-Type: application/json", "Content-Encoding: gzip"),
    answer(zlib.compress(DOC), "Content-Type: application/json", "Content-Encoding: deflate"),
    answer(zlib.compress(DOC)[2:-4], "Content-Type: application/json", "Content-Encoding: Deflate"),
    answer("文字".encode("gbk"), "Content-Type: text/plain; charset=GBK"),
    answer(DOC, "Content-Type: application/vnd.slack+json"),
    answer(b"<p>hi</p>", "Content-Type: text/html"),
    answer(b"   ", "Content-Type: application/json"),
    answer(b"raw"),
    answer(DOC, "Content-Type: text/plain; charset=no-such-charset"),
]
IDS = [
    "json",
    "gzip",
    "deflate",
    "raw-deflate",
    "gbk",
    "plus-json",
    "html",
    "blank",
    "untyped",
    "odd-charset",
]


async def _both(raw: bytes) -> tuple[Any, Any]:
    """What aiohttp's response and :class:`Read` make of *raw*: type, text, JSON or error."""

    async def of(response: Any) -> tuple[object, ...]:
        try:
            data: object = await response.json()
        except aiohttp.ContentTypeError as exc:
            data = (type(exc).__name__, exc.message, exc.status)
        return (
            response.status,
            response.content_type,
            await response.read(),
            await response.text(),
            data,
        )

    async with serving(Server([raw])) as url:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            theirs = await of(response)
        http = Http1()
        ours = await of(Read(url, await http.exchange(url, get(url), Limits())))
        await http.aclose()
    return theirs, ours


@pytest.mark.parametrize("raw", CASES, ids=IDS)
async def test_an_answer_reads_as_aiohttp_reads_it(raw: bytes) -> None:
    theirs, ours = await _both(raw)
    assert ours == theirs


async def test_a_body_that_is_not_what_its_encoding_says_fails_as_aiohttp_fails_it() -> None:
    raw = answer(b"not gzip", "Content-Encoding: gzip")
    async with serving(Server([raw])) as url:
        http = Http1()
        with pytest.raises(
            aiohttp.ClientPayloadError, match="Can not decode content-encoding: gzip"
        ):
            Read(url, await http.exchange(url, get(url), Limits()))
        await http.aclose()
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.ClientPayloadError):
                async with session.get(url) as response:
                    await response.read()


def test_it_asks_for_the_encodings_aiohttp_asks_for() -> None:
    assert aiohttp.ClientRequest.DEFAULT_HEADERS[hdrs.ACCEPT_ENCODING] == ACCEPT_ENCODING
