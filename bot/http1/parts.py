"""What an exchange is made of: where it goes, how long its parts may take, what came back."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import RequestInfo
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a connection goes: TLS or not, host and port."""

    tls: bool
    host: str
    port: int

    @classmethod
    def of(cls, url: URL) -> Origin:
        """*url*'s origin; ValueError for a URL that is not http(s) with a host."""
        if url.scheme not in ("http", "https") or not url.host or url.port is None:
            raise ValueError(f"not an http(s) URL with a host: {url.scheme}://{url.host}")
        return cls(url.scheme == "https", url.host, url.port)


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long each part of an exchange may take, in seconds (None: no limit), as
    ``aiohttp.ClientTimeout`` names them: getting a connection (waiting for a free one,
    and opening it), the wait between two reads of the response, and the whole exchange
    (a GET sent again included)."""

    connect: float | None = None
    sock_read: float | None = None
    total: float | None = None


@dataclass(frozen=True, slots=True)
class RawResponse:
    """The status, the reason phrase, the headers (bytes, as they came) and the body (as it
    came: not decompressed)."""

    status: int
    reason: str
    raw_headers: tuple[tuple[bytes, bytes], ...] = field(repr=False)
    body: bytes = field(repr=False)

    def headers(self) -> CIMultiDictProxy[str]:
        """The headers as aiohttp gives them (``response.headers``)."""
        return CIMultiDictProxy(
            CIMultiDict(
                (k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape"))
                for k, v in self.raw_headers
            )
        )


def request_info(method: str, url: URL) -> RequestInfo:
    """What aiohttp's response errors carry of their request (its headers left out here)."""
    return RequestInfo(url, method, CIMultiDictProxy(CIMultiDict()), url)
