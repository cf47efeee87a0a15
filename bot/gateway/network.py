"""What really went wrong on the way to the gateway, whatever the HTTP transport calls it.

httpx-aiohttp maps aiohttp's errors to httpx's by class, and every connection
error it has no closer match for becomes ``httpx.ConnectTimeout``: a refused
connection, an unknown host, a reset and a server that hung up all arrive as
"timeouts". The exception's type cannot be trusted; the error it wraps can, so
we read the whole chain (``__cause__``/``__context__``) down to the ``OSError``.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from collections.abc import Iterator

import aiohttp
import httpx

# A write into a connection the peer reset fails with EPIPE rather than ECONNRESET.
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


def gateway_origin(url: str) -> str:
    """``scheme://host[:port]`` of *url*: what messages name, never a path, query or userinfo."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def describe_transport_error(exc: httpx.TransportError, *, origin: str, timeout: float) -> str:
    """One line that says what happened to a request to *origin*, *timeout* being its limit."""
    chain = list(_chain(exc))
    unreachable = f"cannot reach the gateway at {origin}"
    # aiohttp's DNS error wraps socket.gaierror with the default resolver, a plain
    # OSError with aiodns; httpx's own transport raises the gaierror.
    if any(isinstance(e, socket.gaierror | aiohttp.ClientConnectorDNSError) for e in chain):
        return f"{unreachable}: host not found"
    errnos = [e.errno for e in chain if isinstance(e, OSError) and e.errno]
    if errno.ECONNREFUSED in errnos:
        return f"{unreachable}: connection refused"
    if _RESET_ERRNOS.intersection(errnos):
        return f"{unreachable}: connection reset"
    hung_up = aiohttp.ServerDisconnectedError | httpx.RemoteProtocolError
    if any(isinstance(e, hung_up) for e in chain):
        return f"the gateway at {origin} closed the connection before a complete answer"
    if any(isinstance(e, aiohttp.ClientPayloadError) for e in chain):
        return f"the gateway at {origin} broke off its answer"
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None:
        return f"{unreachable}: TLS failed ({tls.reason or type(tls).__name__})"
    if _timed_out(exc, chain):
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            # aiohttp's connect timeout also covers waiting for a pooled connection,
            # so "no connection", not "unreachable".
            return f"no connection to the gateway at {origin} within {timeout:.1f} s"
        return f"no answer from the gateway at {origin} within {timeout:.1f} s"
    if errnos:
        return f"{unreachable}: {os.strerror(errnos[-1]).lower()}"
    return f"{unreachable}: {type(chain[-1]).__name__}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _timed_out(exc: httpx.TransportError, chain: list[BaseException]) -> bool:
    # aiohttp's and anyio's timeouts are TimeoutError; an httpx timeout with
    # nothing underneath was raised by httpx itself (or a test's transport).
    if any(isinstance(e, TimeoutError) for e in chain):
        return True
    return isinstance(exc, httpx.TimeoutException) and len(chain) == 1
