"""What really went wrong on the way to the gateway, whatever the HTTP transport calls it.

httpx-aiohttp maps aiohttp's errors to httpx's by class, and every connection
error it has no closer match for becomes ``httpx.ConnectTimeout``: a refused
connection, an unknown host, a reset and a server that hung up all arrive as
"timeouts". The exception's type cannot be trusted; the error it wraps can, so
we read the whole chain (``__cause__``/``__context__``) down to the ``OSError``.
"""

from __future__ import annotations

import aiohttp
import httpx

from bot.network import connection_failure, exception_chain, os_reason


def gateway_origin(url: str) -> str:
    """``scheme://host[:port]`` of *url*: what messages name, never a path, query or userinfo."""
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def describe_transport_error(exc: httpx.TransportError, *, origin: str, timeout: float) -> str:
    """One line that says what happened to a request to *origin*, *timeout* being its limit."""
    chain = list(exception_chain(exc))
    unreachable = f"cannot reach the gateway at {origin}"
    failure = connection_failure(exc)
    if failure is not None:
        return f"{unreachable}: {failure}"
    hung_up = aiohttp.ServerDisconnectedError | httpx.RemoteProtocolError
    if any(isinstance(e, hung_up) for e in chain):
        return f"the gateway at {origin} closed the connection before a complete answer"
    if any(isinstance(e, aiohttp.ClientPayloadError) for e in chain):
        return f"the gateway at {origin} broke off its answer"
    if _timed_out(exc, chain):
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            # aiohttp's connect timeout also covers waiting for a pooled connection,
            # so "no connection", not "unreachable".
            return f"no connection to the gateway at {origin} within {timeout:g} s"
        return f"no answer from the gateway at {origin} within {timeout:g} s"
    if any(isinstance(e, OSError) and e.errno for e in chain):
        return f"{unreachable}: {os_reason(exc)}"
    return f"{unreachable}: {type(chain[-1]).__name__}"


def _timed_out(exc: httpx.TransportError, chain: list[BaseException]) -> bool:
    # aiohttp's and anyio's timeouts are TimeoutError; an httpx timeout with
    # nothing underneath was raised by httpx itself (or a test's transport).
    if any(isinstance(e, TimeoutError) for e in chain):
        return True
    return isinstance(exc, httpx.TimeoutException) and len(chain) == 1
