"""A response read as aiohttp's client response reads one, for callers written against it:
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
from aiohttp.helpers import parse_content_type, parse_mimetype
from yarl import URL

from bot.http1.parts import RawResponse, request_info

# What aiohttp's client asks for. It decodes brotli and zstd too when their modules are
# installed, and then asks for them: callers keep to aiohttp then (DECODES_ALL_ASKED).
ACCEPT_ENCODING = aiohttp.ClientRequest.DEFAULT_HEADERS[hdrs.ACCEPT_ENCODING]
DECODES_ALL_ASKED = ACCEPT_ENCODING == "gzip, deflate"
_JSON = re.compile(r"^application/(?:[\w.+-]+?\+)?json")  # aiohttp's client_reqrep.json_re


class DecodedResponse:
    """*response* to a *method* request to *url*, with the parts of
    ``aiohttp.ClientResponse`` its callers use."""

    def __init__(self, method: str, url: URL, response: RawResponse) -> None:
        self.method, self.url = method, url
        self.status = response.status
        self.headers = response.headers()
        try:
            self._body = _decompressed(response.body, self.headers.get(hdrs.CONTENT_ENCODING, ""))
        except _CutShortError:  # as aiohttp's client says it (a ContentEncodingError under it)
            raise aiohttp.ClientResponseError(
                request_info(self.method, self.url),
                (),
                status=400,
                message="deflate",
                headers=self.headers,
            ) from None
        raw_type = self.headers.get(hdrs.CONTENT_TYPE)
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
                request_info(self.method, self.url),
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


class _CutShortError(Exception):
    """A deflate body that ends before its stream does."""


def _decompressed(body: bytes, encoding: str) -> bytes:
    """*body* as aiohttp hands it on: gzip and deflate (zlib-wrapped or raw) undone."""
    encoding = encoding.lower()
    if encoding not in ("gzip", "deflate") or not body:
        return body
    if encoding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    else:  # aiohttp takes a deflate body without zlib's header as raw deflate
        wbits = zlib.MAX_WBITS if body[0] & 0x0F == 8 else -zlib.MAX_WBITS
    decompressor = zlib.decompressobj(wbits)
    try:
        decoded = decompressor.decompress(body) + decompressor.flush()
    except zlib.error as exc:
        said = f"400, message:\n  Can not decode content-encoding: {encoding}"  # aiohttp's words
        raise aiohttp.ClientPayloadError(said) from exc
    if encoding == "deflate" and not decompressor.eof:  # cut short: aiohttp refuses that
        raise _CutShortError
    return decoded
