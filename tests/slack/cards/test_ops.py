"""The operators' cards (bot/slack/cards/ops.py): /qrinfo status and the Raw reply, drawn
within Block Kit's limits in every language, a reply's text never escaping its code block."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.gateway.breaker import BreakerSnapshot
from bot.i18n import ENGLISH, LANGUAGES, Language
from bot.i18n.catalogue import translator
from bot.service.raw import RawReply, reply_text
from bot.service.recent import RecentSummary
from bot.service.status import GatewayStatus, Status
from bot.slack.cards.ops import (
    RAW_SECTIONS,
    code_chunks,
    duration,
    operators_only_card,
    outcome_name,
    raw_gone_card,
    raw_reply_card,
    status_card,
)
from tests.slack.blockkit import limit_problems, payload
from tests.slack.helpers import all_text

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


MANY_CODES = {f"CODE_{i:03}_" + "X" * 40: i for i in range(60)} | {"unavailable": 7}


def status(**changes: Any) -> Status:
    """Two gateways (the second as *changes* say) and a bot with extreme numbers."""
    gateway = GatewayStatus(
        env="prod",
        gateway_url="https://api-mop.chinaums.com/" + "a" * 3000,
        auth="token",
        breaker=BreakerSnapshot("closed", None, 0.0, closed_since=NOW),
        token_expires_in=2760.0,
    )
    mine = {k: changes.pop(k) for k in ("auth", "breaker", "token_expires_in") if k in changes}
    base = Status(
        gateways=(gateway, replace(gateway, env="test", **mine)),
        recent=RecentSummary(15, 10**9, 10**8, MANY_CODES, 10**9, 123456.0, 9876543.0),
        version="0.1.0" * 100,
        uptime=10**9,
        now=NOW,
    )
    return replace(base, **changes)


def test_a_huge_raw_reply_is_clipped_within_block_kit_limits() -> None:
    """A reply of 40,000 characters: at most four code sections, and the card says so."""
    reply = {"errCode": "SUCCESS", "merName": "<!channel> ```" + "商" * 40_000}
    raw = RawReply("qri1", "sandbox", "found", NOW, 12.0, 200, *reply_text(reply), ())
    card = raw_reply_card(raw, ENGLISH)
    assert limit_problems(card) == []
    text = json.dumps(payload(card), ensure_ascii=False)
    assert "Clipped:" in text
    assert "<!channel>" not in text
    assert sum(1 for block in payload(card)["blocks"] if "```" in json.dumps(block)) <= RAW_SECTIONS


@pytest.mark.parametrize("fence", ["```", "````", "`````` x ``"])
def test_backticks_in_a_reply_never_close_its_code_block(fence: str) -> None:
    chunks, shown = code_chunks(f"a{fence}b & c", 2980, 4)
    assert shown == len(f"a{fence}b & c")
    assert "``" not in "".join(chunks)
    assert "&amp;" in chunks[0]


def test_a_reply_is_never_cut_inside_an_escaped_character() -> None:
    """Chunks end before an entity that would not fit, never inside it."""
    chunks, shown = code_chunks("x" * 9 + "&" * 10, 10, 4)
    assert chunks == ["x" * 9, "&amp;&amp;", "&amp;&amp;", "&amp;&amp;"]
    assert shown == 9 + 6


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "card",
    [
        lambda tr: status_card(status(), tr),
        lambda tr: status_card(
            status(breaker=BreakerSnapshot("open", NOW, 29.5, opened_at=NOW)), tr
        ),
        lambda tr: status_card(status(breaker=BreakerSnapshot("half-open", NOW, 0.0)), tr),
        lambda tr: status_card(status(auth="body-sig", token_expires_in=None), tr),
        lambda tr: status_card(status(token_expires_in=None), tr),
        lambda tr: status_card(status(token_expires_in=-5.0), tr),
        lambda tr: status_card(status(fleet="degraded"), tr),
        lambda tr: status_card(status(recent=RecentSummary(15, 0, 0, {}, 0, None, None)), tr),
        lambda tr: raw_reply_card(
            RawReply("qri1", "sandbox", "NO_BILL", NOW, 1.0, None, None, 0, ()), tr
        ),
        raw_gone_card,
        operators_only_card,
    ],
    ids=[
        "status",
        "status-open",
        "status-half-open",
        "status-body-sig",
        "status-no-token",
        "status-token-expired",
        "status-redis-lost",
        "status-quiet",
        "raw-nothing",
        "raw-gone",
        "refused",
    ],
)
def test_every_operator_card_stays_within_block_kit_limits(card: Any, language: Language) -> None:
    drawn = card(translator(language))
    assert limit_problems(drawn) == []


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(-3, "0 s"), (12.9, "12 s"), (7 * 60 + 5, "7 min"), (2 * 3600 + 300, "2 h 5 min"),
     (3 * 86400 + 4 * 3600 + 59, "3 d 4 h")],
)  # fmt: skip
def test_a_duration_is_said_in_its_two_largest_units(seconds: float, said: str) -> None:
    assert ENGLISH(duration(seconds)) == said


def test_an_outcome_is_named_in_words_and_a_gateway_code_as_code() -> None:
    assert outcome_name("invalid", ENGLISH) == "invalid input"
    assert outcome_name("NO_BILL", ENGLISH) == "`NO_BILL`"


def test_the_status_card_says_each_breaker_and_token_as_it_is() -> None:
    opened = BreakerSnapshot("open", NOW, 29.2, opened_at=NOW)
    text = all_text(payload(status_card(status(breaker=opened, token_expires_in=-1.0), ENGLISH)))
    assert "open since" in text
    assert "a trial call in 30 s" in text
    assert "expired" in text
    assert "expires in 46 min" in text  # the first gateway's 2760 s
    assert "this process only" in text


def test_a_raw_reply_card_lists_each_attempt_and_the_http_status() -> None:
    raw = RawReply(
        "qri1", "test", "NO_BILL", NOW, 12.0, 200, *reply_text({"errCode": "NO_BILL"}), ()
    )
    text = all_text(payload(raw_reply_card(raw, ENGLISH)))
    assert "HTTP 200" in text
    assert "NO_BILL" in text
    assert "Clipped:" not in text
