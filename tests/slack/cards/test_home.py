"""The App Home view (bot/slack/cards/home.py): what the bot does, the form's button, the
reader's lookups, the operators' status; within a home view's limits whatever it holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gateway.breaker import BreakerSnapshot
from bot.i18n import ENGLISH, LANGUAGES, Language
from bot.i18n.catalogue import translator
from bot.service.history import HISTORY_KEPT, Looked
from bot.service.recent import RecentSummary
from bot.service.status import GatewayStatus, Status
from bot.slack.cards.home import HOME_DETAILS_ACTION, HOME_OPEN_FORM_ACTION, home_view
from bot.slack.reading.button import decode_button_value
from tests.slack.blockkit import home_view_problems

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
MID = "898340149000005"


def looked(n: int = 1, **changes: Any) -> Looked:
    values: dict[str, Any] = {
        "env": "prod", "mid": MID, "qr_code_id": f"{n:026}", "outcome": "found", "at": NOW,
        "merchant": "测试商户", "amount_fen": 599900, "payment": "paid",
    } | changes  # fmt: skip
    return Looked(**values)


def status() -> Status:
    gateway = GatewayStatus(
        env="prod",
        gateway_url="https://api-mop.chinaums.com/" + "a" * 3000,
        auth="token",
        breaker=BreakerSnapshot("open", NOW, 30.0, opened_at=NOW),
        token_expires_in=None,
    )
    return Status(
        gateways=(gateway, gateway, gateway),
        recent=RecentSummary(15, 10**9, 10**8, {f"E{n}": n for n in range(50)}, 1, 1.0, 2.0),
        version="0.1.0" * 100,
        uptime=10**9,
        now=NOW,
    )


def text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def details(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        block["accessory"]
        for block in view["blocks"]
        if block.get("accessory", {}).get("action_id") == HOME_DETAILS_ACTION
    ]


def test_an_empty_history_says_so_under_what_the_bot_does_and_the_form_button() -> None:
    view = home_view([], ENGLISH)
    assert view["type"] == "home"
    assert "Chinaums" in text(view)
    assert "No lookups yet." in text(view)
    assert HOME_OPEN_FORM_ACTION in text(view)
    assert details(view) == []
    assert "qrinfo status" not in text(view)


def test_a_line_shows_amount_merchant_payment_code_gateway_and_when() -> None:
    """And its Details button carries the lookup, on its own gateway."""
    view = home_view([looked()], ENGLISH)
    [line] = [b["text"]["text"] for b in view["blocks"] if "accessory" in b]
    for part in ("¥5,999.00", "测试商户", "*paid*", f"`{1:026}`", "*PROD*", "<!date^"):
        assert part in line
    [button] = details(view)
    assert decode_button_value(button["value"]).env == "prod"


@pytest.mark.parametrize(
    ("outcome", "shown"),
    [("refused", ":lock: refused"), ("NO_BILL", "`NO_BILL`"), ("busy", "busy")],
)
def test_a_lookup_that_found_nothing_says_how_it_ended(outcome: str, shown: str) -> None:
    view = home_view([looked(outcome=outcome, merchant=None, amount_fen=None)], ENGLISH)
    assert shown in text(view)
    assert "¥" not in text(view)


def test_an_operator_view_carries_the_status_card() -> None:
    view = home_view([looked()], ENGLISH, status=status())
    assert "qrinfo status" in text(view)
    assert home_view_problems(view) == []


def test_the_home_is_in_the_reader_language() -> None:
    view = home_view([looked()], translator("zh"))
    assert "你最近的查询" in text(view)
    assert "Your recent lookups" not in text(view)


def test_merchant_names_cannot_mention_or_link() -> None:
    view = home_view([looked(merchant="<!channel> <https://evil|x> & co")], ENGLISH)
    assert "<!channel>" not in text(view)
    assert "&lt;!channel&gt; &lt;https://evil|x&gt; &amp; co" in text(view)


ENTRIES = st.builds(
    Looked,
    env=st.sampled_from(["sandbox", "test", "prod"]),
    mid=st.text(min_size=1, max_size=100),
    qr_code_id=st.text(min_size=1, max_size=200),
    outcome=st.sampled_from(["found", "refused", "busy", "unconfigured"]) | st.text(max_size=300),
    # Hypothesis takes naive bounds, then gives times in UTC.
    at=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    merchant=st.none() | st.text(max_size=500),
    amount_fen=st.none() | st.integers(min_value=-(10**15), max_value=10**15),
    payment=st.none() | st.sampled_from(["paid", "no-bill"]) | st.text(max_size=300),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(ENTRIES, max_size=HISTORY_KEPT + 5),
    operator=st.booleans(),
    language=st.sampled_from(LANGUAGES),
)
def test_any_history_stays_within_a_home_view_limits(
    entries: list[Looked], operator: bool, language: Language
) -> None:
    """Whatever the history holds (Redis may hold anything this version wrote): at most
    HISTORY_KEPT lines, every limit kept."""
    view = home_view(entries, translator(language), status=status() if operator else None)
    assert home_view_problems(view) == []
    assert len(details(view)) == min(len(entries), HISTORY_KEPT)
