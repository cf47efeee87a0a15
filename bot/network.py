"""What an OS-level network failure was, in a few words: one reading for every caller.

Libraries wrap the OSError that says what happened (aiohttp in its
connector errors, httpx-aiohttp in "timeouts"), so the type on top cannot be
trusted; the chain underneath (``__cause__``, ``__context__``, aiohttp's
``os_error``) can. Depends on nothing of this project's.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from collections.abc import Iterator

import aiohttp

# A write into a connection the peer reset fails with EPIPE rather than ECONNRESET.
_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """*exc* and every exception under it, outermost first, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "os_error", None)  # aiohttp's connector errors
        current = (
            (wrapped if isinstance(wrapped, BaseException) else None)
            or current.__cause__
            or current.__context__
        )


def connection_failure(exc: BaseException) -> str | None:
    """``host not found``, ``connection refused``, ``connection reset`` or ``TLS failed (…)``;
    None if none of those."""
    chain = list(exception_chain(exc))
    tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
    if tls is not None:
        # aiohttp's own TLS errors subclass ssl.SSLError but carry no .reason; their errno
        # (1) is not EPERM.
        return f"TLS failed ({getattr(tls, 'reason', None) or type(tls).__name__})"
    # aiohttp's DNS error wraps socket.gaierror with the default resolver, a plain
    # OSError with aiodns.
    if any(isinstance(e, socket.gaierror | aiohttp.ClientConnectorDNSError) for e in chain):
        return "host not found"
    errnos = {e.errno for e in chain if isinstance(e, OSError) and e.errno}
    if errno.ECONNREFUSED in errnos:
        return "connection refused"
    if _RESET_ERRNOS & errnos:
        return "connection reset"
    return None


def os_reason(exc: BaseException) -> str:
    """The most telling few words about *exc*: a connection failure, else errno's own words."""
    known = connection_failure(exc)
    if known is not None:
        return known
    errnos = [e.errno for e in exception_chain(exc) if isinstance(e, OSError) and e.errno]
    if errnos and errnos[-1] > 0:
        return os.strerror(errnos[-1]).lower()
    return str(exc) or type(exc).__name__


def cannot_listen(exc: OSError, host: str, port: int) -> str:
    """One line for a server that could not take its address (in use, not ours, unknown)."""
    # errno's own words: asyncio's message repeats the address, a resolver's has no errno.
    reason = os_reason(exc) if (exc.errno or 0) > 0 else str(exc.strerror or exc).lower()
    return f"cannot listen on {host}:{port}: {reason}"


def http_url(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 address in brackets as URLs need it."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
