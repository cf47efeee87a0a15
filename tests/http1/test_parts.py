"""Where an exchange goes, and its response's headers as aiohttp gives them."""

from __future__ import annotations

import pytest
from yarl import URL

from bot.http1 import Origin, RawResponse


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://h/x", Origin(tls=False, host="h", port=80)),
        ("https://h/x", Origin(tls=True, host="h", port=443)),
        ("https://h:8443/x", Origin(tls=True, host="h", port=8443)),
        ("http://[::1]:8080/", Origin(tls=False, host="::1", port=8080)),
    ],
)
def test_an_origin_is_a_urls_scheme_host_and_port_the_default_port_filled_in(
    url: str, origin: Origin
) -> None:
    assert Origin.of(URL(url)) == origin


@pytest.mark.parametrize("url", ["ftp://h/x", "/relative", "unix:///x"])
def test_a_url_that_is_not_http_with_a_host_has_no_origin(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        Origin.of(URL(url))


def test_headers_read_as_aiohttp_reads_them_repeats_kept_any_case() -> None:
    response = RawResponse(
        200, "OK", ((b"Set-Cookie", b"a=1"), (b"set-cookie", b"b=2"), (b"X", b"\xe6\xb5\x8b")), b""
    )
    headers = response.headers()
    assert headers.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert headers["x"] == "测"
    assert repr(response) == "RawResponse(status=200, reason='OK')"  # no headers, no body
