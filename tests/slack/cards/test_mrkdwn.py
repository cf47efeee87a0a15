"""Slack text helpers: escaping, clipping within a limit without cutting an entity, and
the date token that each reader sees in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.cards.mrkdwn import ELLIPSIS, beijing_text, clip, clip_plain, date_token, escape

INSTANT = datetime(2030, 2, 26, 5, 51, 25, tzinfo=UTC)  # 13:51:25 in Beijing


def test_escape_defuses_mentions_and_links_and_nothing_else() -> None:
    assert escape("<!channel> & <@U1> <https://x|y> *b* _i_") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt; *b* _i_"
    )


def test_a_text_within_the_limit_is_only_escaped() -> None:
    assert clip("a&b", 7) == "a&amp;b"


def test_clip_never_cuts_inside_an_entity() -> None:
    """Ten '&' in 12 characters: two whole &amp; and the ellipsis, never a broken '&am'."""
    assert clip("&" * 10, 12) == "&amp;&amp;" + ELLIPSIS


@given(text=st.text(alphabet="a&<>中", max_size=60), limit=st.integers(2, 40))
def test_clip_keeps_within_the_limit_and_ends_on_a_whole_entity(text: str, limit: int) -> None:
    clipped = clip(text, limit)
    assert len(clipped) <= limit
    body = clipped.removesuffix(ELLIPSIS)
    assert body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0
    assert escape(text).startswith(body)


def test_clip_plain_only_cuts_our_own_text() -> None:
    assert clip_plain("<b>", 10) == "<b>"
    assert clip_plain("abcdefghij", 5) == "abcd" + ELLIPSIS


def test_beijing_text_is_the_gateways_own_clock() -> None:
    assert beijing_text(INSTANT) == "2030-02-26 13:51:25 UTC+8"


def test_the_date_token_carries_the_epoch_and_beijing_time_as_fallback() -> None:
    assert date_token(INSTANT) == (
        "<!date^1898315485^{date_short_pretty} {time}|2030-02-26 13:51:25 UTC+8>"
    )
    assert date_token(INSTANT, fmt="{date_short}").startswith("<!date^1898315485^{date_short}|")
