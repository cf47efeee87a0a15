"""Reading a link_shared event: the provider's QR links in it, and where their unfurls go."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.reading.links import (
    MAX_UNFURLS,
    QrLink,
    lookup_text_of,
    qr_link,
    qr_links,
    unfurl_target,
)

ID = "31942002268195125132885377"


@pytest.mark.parametrize(
    ("url", "env", "lookup_text"),
    [
        (f"https://qr.95516.com/48020000/{ID}", "prod",
         f"https://qr.95516.com/48020000/{ID}"),
        (f"https://QR.chinaums.com/bills/qrCode.do?id={ID}&from=wx", "prod",
         f"https://qr.chinaums.com/bills/qrCode.do?id={ID}"),
        (f"http://qr-test1.chinaums.com/bills/qrCode.do?id={ID}", "test",
         f"https://qr-test1.chinaums.com/bills/qrCode.do?id={ID}"),
        (f"https://qr-test3.chinaums.com/bills/qrCode.do?id={ID}", "test",
         f"https://qr-test3.chinaums.com/bills/qrCode.do?id={ID}"),
    ],
    ids=["new-shape", "old-shape-uppercase-host-extra-param", "http-test1", "test3"],
)  # fmt: skip
def test_a_qr_link_gives_its_id_environment_and_the_link_rebuilt(
    url: str, env: str, lookup_text: str
) -> None:
    """Either shape, on any of the provider's hosts: the id, the host's environment, and the
    link rebuilt from host and id (https, nothing else of the URL)."""
    link = qr_link(url)
    assert link is not None
    assert (link.qr_code_id, link.env, link.lookup_text) == (ID, env, lookup_text)
    assert link.url == url


@pytest.mark.parametrize(
    "url",
    [
        f"https://example.com/bills/qrCode.do?id={ID}",
        f"https://qr.chinaums.com.evil.example/bills/qrCode.do?id={ID}",
        "https://qr.chinaums.com/about.html",
        "https://qr.chinaums.com/bills/qrCode.do?id=short",
        f"https://qr.chinaums.com/bills/qrCode.do?id={ID}&id={ID}",
        f"https://qr.95516.com/4802/{ID}",
        f"ftp://qr.95516.com/48020000/{ID}",
        "https://[::1/",
    ],
    ids=["other-host", "lookalike-host", "other-path", "short-id", "two-ids", "7-digits",
         "ftp", "broken"],
)  # fmt: skip
def test_anything_else_is_no_qr_link(url: str) -> None:
    """Another host, another path, an id no gateway takes, a broken URL: None."""
    assert qr_link(url) is None


def event(urls: list[Any], **fields: Any) -> dict[str, Any]:
    return {"type": "link_shared", "links": [{"url": u} for u in urls]} | fields


def test_the_events_qr_links_come_once_each_in_order() -> None:
    """Others skipped, repeats dropped, malformed entries ignored."""
    new = f"https://qr.95516.com/48020000/{ID}"
    old = f"https://qr-test2.chinaums.com/bills/qrCode.do?id={ID}"
    found = qr_links(event([old, "https://example.com/", new, old, 7]))
    assert [link.url for link in found] == [old, new]
    assert qr_links({"links": "nope"}) == []


def test_at_most_max_unfurls_links_are_read() -> None:
    """A message with many QR links: the first MAX_UNFURLS."""
    urls = [f"https://qr.95516.com/48020000/{ID[:-2]}{n:02d}" for n in range(MAX_UNFURLS + 5)]
    assert [link.url for link in qr_links(event(urls))] == urls[:MAX_UNFURLS]


@pytest.mark.parametrize(
    ("fields", "target"),
    [
        ({"channel": "C1", "message_ts": "1.2", "source": "conversations_history",
          "unfurl_id": "U-1"}, {"channel": "C1", "ts": "1.2"}),
        ({"channel": "C1", "message_ts": "1.2"}, {"channel": "C1", "ts": "1.2"}),
        ({"channel": "COMPOSER", "message_ts": "U-1", "source": "composer", "unfurl_id": "U-1"},
         {"unfurl_id": "U-1", "source": "composer"}),
        ({"source": "composer"}, None),
        ({"channel": "C1"}, None),
        ({"channel": "C1", "message_ts": 1.2}, None),
    ],
    ids=["history", "no-source", "composer", "composer-without-id", "no-ts", "ts-number"],
)  # fmt: skip
def test_the_unfurl_goes_to_the_message_or_to_the_composer(
    fields: dict[str, Any], target: dict[str, str] | None
) -> None:
    """channel and ts for a posted message; unfurl_id and source for the composer."""
    assert unfurl_target(fields) == target


def test_a_look_up_value_is_read_back_as_a_qr_link_or_nothing() -> None:
    """The rebuilt link for one of ours; None for anything else, however long or odd."""
    link = f"https://qr-test2.chinaums.com/bills/qrCode.do?id={ID}"
    assert lookup_text_of(link) == link
    for value in (None, 7, "", "https://evil.example/", link + "&x=" + "a" * 2000):
        assert lookup_text_of(value) is None


@settings(max_examples=300, deadline=None)
@given(url=st.text(max_size=300) | st.builds(lambda s: f"https://qr.95516.com/{s}", st.text()))
def test_any_text_is_a_qr_link_or_none_and_a_link_reads_back_the_same(url: str) -> None:
    """Never an exception; what is read is a QR link whose rebuilt form reads back to itself."""
    link = qr_link(url)
    if link is not None:
        assert isinstance(link, QrLink)
        assert lookup_text_of(link.lookup_text) == link.lookup_text
