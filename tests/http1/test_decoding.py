"""An answer read as aiohttp reads one: each against aiohttp's own reading of the same
bytes, served on loopback."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import aiohttp
import pytest
from aiohttp import hdrs

from bot.http1 import Http1Pool, Timeouts
from bot.http1.decoding import ACCEPT_ENCODING, DECODES_ALL_ASKED, DecodedResponse
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
    answer(gzip.compress(DOC)[:-12], "Content-Encoding: gzip"),  # cut short: what came
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
    "gzip-cut-short",
    "odd-charset",
]


async def _both(raw: bytes) -> tuple[Any, Any]:
    """What aiohttp's response and :class:`DecodedResponse` make of *raw*: its type, body,
    text and JSON, or the errors."""

    async def of(response: Any) -> tuple[object, ...]:
        try:
            data: object = await response.json()
        except aiohttp.ContentTypeError as exc:
            data = (type(exc).__name__, exc.message, exc.status)
        except UnicodeDecodeError as exc:
            data = str(exc)
        try:
            text: object = await response.text()
        except UnicodeDecodeError as exc:
            text = str(exc)
        return response.status, response.content_type, await response.read(), text, data

    async with serving(Server([raw])) as url:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            theirs = await of(response)
        http = Http1Pool()
        ours = await of(DecodedResponse("GET", url, await http.exchange(url, get(url), Timeouts())))
        await http.aclose()
    return theirs, ours


@pytest.mark.parametrize("raw", CASES, ids=IDS)
async def test_an_answer_reads_as_aiohttp_reads_it(raw: bytes) -> None:
    theirs, ours = await _both(raw)
    assert ours == theirs


@pytest.mark.parametrize(
    ("body", "encoding", "raised"),
    [
        (b"not gzip", "gzip", aiohttp.ClientPayloadError),
        (zlib.compress(DOC)[:-8], "deflate", aiohttp.ClientResponseError),
    ],
    ids=["not-gzip", "deflate-cut-short"],
)
async def test_a_body_that_is_not_what_its_encoding_says_fails_as_aiohttp_fails_it(
    body: bytes, encoding: str, raised: type[Exception]
) -> None:
    raw = answer(body, f"Content-Encoding: {encoding}")
    async with serving(Server([raw])) as url:
        http = Http1Pool()
        with pytest.raises(raised) as ours:
            DecodedResponse("GET", url, await http.exchange(url, get(url), Timeouts()))
        await http.aclose()
        async with aiohttp.ClientSession() as session:
            with pytest.raises(raised) as theirs:
                async with session.get(url) as response:
                    await response.read()
    assert str(ours.value).split(", url=")[0] == str(theirs.value).split(", url=")[0]


def test_it_decodes_every_encoding_aiohttp_asks_for() -> None:
    """Else replies and users.info keep to aiohttp (brotli or zstd installed, say): the
    suite says so rather than the fast path going quietly."""
    assert DECODES_ALL_ASKED
    assert aiohttp.ClientRequest.DEFAULT_HEADERS[hdrs.ACCEPT_ENCODING] == ACCEPT_ENCODING
