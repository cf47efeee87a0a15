"""Which QR URLs are drawn, and that a drawing reads back as exactly its URL."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.qr_image import MAX_URL_CHARS, NotDrawable, drawable, png, terminal_text
from tests.qr import decode_png, decode_terminal

SEED_URL = "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377"
NEW_SHAPE = "https://qr.95516.com/48020000/48021125093015000000123456"


@pytest.mark.parametrize(
    "url",
    [
        NEW_SHAPE,
        SEED_URL,
        "https://qr.chinaums.com/bills/qrCode.do?id=31942611251045330000889900",
        "https://qr-test1.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
        "https://qr-test3.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
    ],
    ids=["95516", "qr-test2", "chinaums", "qr-test1", "qr-test3"],
)
def test_https_urls_on_the_providers_qr_hosts_are_drawable(url: str) -> None:
    """Both URL shapes, live and test hosts."""
    assert drawable(url)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://qr.chinaums.com/bills/qrCode.do?id=31942611251045330000889900",
        "https://evil.example/48020000/48021125093015000000123456",
        "https://qr.95516.com.evil.example/48020000/1",
        "https://evil.example/?u=https://qr.95516.com/",
        "https://qr.95516.com@evil.example/",
        "https://user@qr.95516.com/48020000/1",
        "https://qr.95516.com:8443/48020000/1",
        "https://qr.95516.com:443/48020000/1",
        "https://evil.example\\@qr.95516.com/",
        "https://qr.95516.com/48020000/1 https://evil.example/",
        "https://qr.95516.com/4802０000/1",
        "javascript:alert(1)//qr.95516.com",
        "https://qr.95516.com/" + "1" * MAX_URL_CHARS,
        "https://[::1/",
    ],
    ids=[
        "none",
        "empty",
        "http",
        "another-host",
        "a-suffix",
        "in-the-query",
        "userinfo-host",
        "userinfo",
        "a-port",
        "port-443",
        "backslash",
        "a-space",
        "full-width",
        "javascript",
        "too-long",
        "bad-ipv6",
    ],
)
def test_anything_else_is_not_drawable(url: str | None) -> None:
    """Another scheme or host, credentials, a port, odd characters, an absurd length: not drawn."""
    assert not drawable(url)


def test_the_png_reads_back_as_exactly_the_url() -> None:
    """A phone's decoder reads the PNG as the URL, byte for byte."""
    data = png(SEED_URL)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode_png(data) == [SEED_URL]


def test_the_terminal_drawing_reads_back_as_exactly_the_url() -> None:
    """The half-block text, turned back into pixels, decodes to the URL."""
    assert decode_terminal(terminal_text(NEW_SHAPE)) == [NEW_SHAPE]


@pytest.mark.parametrize("draw", [png, terminal_text], ids=["png", "terminal"])
def test_a_url_that_is_not_drawable_is_never_drawn(draw: Callable[[str], object]) -> None:
    """The drawing functions check for themselves: a caller that forgot still gets no image."""
    with pytest.raises(NotDrawable):
        draw("https://evil.example/pay")


@given(st.text(max_size=40))
def test_a_url_with_a_space_control_del_or_non_ascii_character_is_not_drawable(
    tail: str,
) -> None:
    """Each character of a drawable URL is in 33..126."""
    url = SEED_URL + tail
    if not all(33 <= ord(char) < 127 for char in url):
        assert not drawable(url)


@given(st.text(alphabet=string.ascii_letters + string.digits + "-._~=&%!$'()*+,;:@", max_size=40))
def test_a_qr_url_with_plain_characters_after_it_stays_drawable(tail: str) -> None:
    assert drawable(SEED_URL + tail)
