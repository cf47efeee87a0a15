"""The gateway's replies as they came (bot/service/raw.py): their text, clipped, and the last
few hundred kept by msgId for an operator's Raw reply."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.service.raw import KEPT_CHARS, RawReplies, RawReply, reply_text

WHEN = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def raw(msg_id: str, outcome: str = "found") -> RawReply:
    return RawReply(msg_id, "sandbox", outcome, WHEN, 1.0, 200, "{}", 2, ())


def test_no_reply_is_no_text() -> None:
    assert reply_text(None) == (None, 0)


def test_a_json_reply_is_indented_as_parsed_and_keeps_chinese_as_written() -> None:
    text, length = reply_text({"errCode": "SUCCESS", "merName": "测试商户"})
    assert text == json.dumps({"errCode": "SUCCESS", "merName": "测试商户"}, indent=2).replace(
        "\\u6d4b\\u8bd5\\u5546\\u6237", "测试商户"
    )
    assert length == len(text)


def test_a_long_reply_is_clipped_and_its_whole_length_kept() -> None:
    text, length = reply_text("x" * (KEPT_CHARS + 10))
    assert text == "x" * KEPT_CHARS
    assert length == KEPT_CHARS + 10


def test_the_oldest_reply_is_forgotten_past_the_size() -> None:
    replies = RawReplies(size=2)
    for msg_id in ("q1", "q2", "q3"):
        replies.keep(raw(msg_id))
    assert replies.get("q1") is None
    assert [replies.get(m) is not None for m in ("q2", "q3")] == [True, True]


def test_a_reply_kept_again_replaces_the_one_before() -> None:
    replies = RawReplies(size=2)
    replies.keep(raw("q1"))
    replies.keep(raw("q1", "NO_BILL"))
    kept = replies.get("q1")
    assert kept is not None
    assert kept.outcome == "NO_BILL"
