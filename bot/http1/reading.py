"""An answer read as aiohttp's client response reads one, for callers written against it:
the body decompressed (gzip, deflate), the content type, the text in its charset, JSON only
when the type says so."""

from __future__ import annotations

import codecs
import json
import re
import zlib
from typing import Any

import aiohttp
from aiohttp import hdrs
from aiohttp.client_reqrep import RequestInfo
from aiohttp.helpers import parse_content_type, parse_mimetype
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.http1.pool import Answer

# What aiohttp's client asks for and decodes (brotli and zstd only when their modules are
# installed: then callers keep to aiohttp, see DECODES_ALL_ASKED).
ACCEPT_ENCODING = aiohttp.ClientRequest.DEFAULT_HEADERS[hdrs.ACCEPT_ENCODING]
DECODES_ALL_ASKED = ACCEPT_ENCODING == "gzip, deflate"
_JSON = re.compile(r"^application/(?:[\w.+-]+?\+)?json")  # aiohttp's json_re


class Read:
    """*answer* to *url*, with the parts of ``aiohttp.ClientResponse`` its callers use."""

    def __init__(self, url: URL, answer: Answer) -> None:
        self.url = url
        self.status = answer.status
        self.headers = answer.headers()
        self._body = _decompressed(answer.body, self.headers.get("Content-Encoding", ""))
        raw_type = self.headers.get("Content-Type")
        self._type = (raw_type or "").lower()
        self.content_type = (  # as aiohttp's content_type property reads it
            "application/octet-stream" if raw_type is None else parse_content_type(raw_type)[0]
        )
        self._mimetype = parse_mimetype(self._type)  # as its get_encoding() reads it

    async def read(self) -> bytes:
        return self._body

    async def text(self) -> str:
        return self._body.decode(self._encoding())

    async def json(self) -> Any:
        if not _JSON.match(self._type):
            raise aiohttp.ContentTypeError(
                RequestInfo(self.url, "GET", CIMultiDictProxy(CIMultiDict()), self.url),
                (),
                status=self.status,
                message=f"Attempt to decode JSON with unexpected mimetype: {self._type}",
                headers=self.headers,
            )
        stripped = self._body.strip()
        return json.loads(stripped.decode(self._encoding())) if stripped else None

    def _encoding(self) -> str:
        """aiohttp's get_encoding(): the charset named, else UTF-8."""
        charset = self._mimetype.parameters.get("charset")
        if charset:
            try:
                return codecs.lookup(charset).name
            except (LookupError, ValueError):
                pass
        return "utf-8"


def _decompressed(body: bytes, encoding: str) -> bytes:
    """*body* as aiohttp hands it on: gzip and deflate (zlib-wrapped or raw) undone."""
    encoding = encoding.lower()
    if encoding not in ("gzip", "deflate") or not body:
        return body
    if encoding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    else:  # aiohttp takes a deflate body without zlib's header as raw deflate
        wbits = zlib.MAX_WBITS if body[0] & 0x0F == 8 else -zlib.MAX_WBITS
    try:
        decompressor = zlib.decompressobj(wbits)
        return decompressor.decompress(body) + decompressor.flush()
    except zlib.error as exc:
        raise aiohttp.ClientPayloadError(f"Can not decode content-encoding: {encoding}") from exc
