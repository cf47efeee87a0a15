"""A request's bytes, written as aiohttp's client writes them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from yarl import URL

# aiohttp's (http_writer._FORBIDDEN_HEADER_CHARS_RE): a line break would start a header of
# its own, and the other control characters have no business in one either.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def request_line(method: str, url: URL) -> str:
    """``METHOD /path?query HTTP/1.1`` for *url*, its path and query as they are encoded."""
    return f"{method} {url.raw_path_qs} HTTP/1.1"


def request_bytes(line: str, headers: Iterable[tuple[str, str]], body: bytes = b"") -> bytes:
    """The request: *line*, each header as ``name: value`` in the order given, a blank
    line, *body*. A control character in the line or a header is refused as aiohttp
    refuses it (ValueError, in its words)."""
    pairs = list(headers)
    if _FORBIDDEN.search(line + "".join(name + value for name, value in pairs)):
        raise ValueError(
            "Forbidden control character detected in headers. Potential header injection attack."
        )
    head = "".join(f"{name}: {value}\r\n" for name, value in pairs)
    return f"{line}\r\n{head}\r\n".encode() + body
