"""Kept-alive HTTP/1.1 connections of the process's own, for the calls made most often.

A card makes three: the gateway call, users.info (a new reader's language) and the
reply to Slack's response_url. Through aiohttp's client each cost about 75 µs of CPU under
a burst (a request object, merged headers, cookies, timers and a response object every
time); here, about 25 µs. :class:`Http1Pool` (pool.py) holds the connections;
:mod:`~bot.http1.connection` reads one response with httptools; :mod:`~bot.http1.writing`
writes a request's bytes as aiohttp writes them; :mod:`~bot.http1.decoding` reads a
response as aiohttp reads one. Failures are aiohttp's own exceptions.
"""

from bot.http1.parts import Origin, RawResponse, Timeouts
from bot.http1.pool import Http1Pool, default_tls
from bot.http1.writing import request_bytes, request_line

__all__ = [
    "Http1Pool",
    "Origin",
    "RawResponse",
    "Timeouts",
    "default_tls",
    "request_bytes",
    "request_line",
]
