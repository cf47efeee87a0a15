"""The card renderer: where each field goes, hostile text, limits for any reply."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gateway.models import QrCodeInfo
from bot.i18n import ENGLISH, LANGUAGES, Language, Translator
from bot.i18n.catalogue import translator
from bot.qr_image import drawable
from bot.slack.cards.blocks import Card, CardContext
from bot.slack.cards.card import SHOW_QR_ACTION, CardButtons, qr_caption, qr_card
from tests.gateway.helpers import SEED_REPLY
from tests.slack.blockkit import limit_problems, payload
from tests.strategies import any_reply

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
CTX = CardContext(env="sandbox", tr=ENGLISH, msg_id="qri0123", answered_at=NOW, duration_ms=42.0)
ZH = translator("zh")
HOSTILE = "<!channel> & <@U123> <https://evil.example|click me> *bold*"
BUTTONS = CardButtons(value='{"mid":"898340149000005","qr":"31942002268195125132885377"}')


def render(
    reply: dict[str, Any],
    now: datetime = NOW,
    tr: Translator = ENGLISH,
    buttons: CardButtons | None = None,
) -> Card:
    return qr_card(QrCodeInfo.model_validate(reply), replace(CTX, tr=tr), now=now, buttons=buttons)


def payload_text(card: Card) -> str:
    return json.dumps(payload(card), ensure_ascii=False)


def blocks_of(card: Card, kind: str) -> list[dict[str, Any]]:
    return [b for b in payload(card)["blocks"] if b["type"] == kind]


def test_seed_card_puts_every_field_where_it_belongs() -> None:
    """Header merchant; amount and instalments; ids as fields; desc, goods, button, context."""
    card = render(SEED_REPLY)
    blocks = payload(card)["blocks"]
    assert blocks[0]["text"]["text"] == "测试商户"
    summary = blocks[1]
    assert summary["text"]["text"].startswith("*¥0.02*  ·  in 12 instalments")
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in summary["fields"]}
    assert fields == {
        "*Merchant no.*": "`898340149000005`",
        "*Terminal*": "`00000001`",
        "*Business type*": "QRPAYDEFAULT",
        "*Expires*": "<!date^1898315485^{date_short_pretty} {time}|2030-02-26 13:51:25 UTC+8>",
        "*Bill no.*": "`10A31689733046250`",
        "*Bill date*": "2020-02-26",
        "*Member*": "20200226001",
        "*Counter*": "02",
    }
    assert blocks[2]["text"]["text"] == "*Description*\ntest create qrCode"
    assert "• 鸡蛋 × 1 @ ¥0.01 = ¥0.01" in blocks[3]["text"]["text"]
    button = blocks[4]["elements"][0]
    assert (button["text"]["text"], button["url"], button["action_id"]) == (
        "Open QR code",
        SEED_REPLY["qrCodeUrl"],
        "open_qr",
    )
    context = " ".join(e["text"] for e in blocks[5]["elements"])
    assert "SANDBOX" in context
    assert "qri0123" in context
    assert "42 ms" in context
    assert card.text == "测试商户: ¥0.02, expires 2030-02-26 13:51:25 UTC+8"
    assert limit_problems(card) == []


def test_expiry_epoch_is_the_beijing_instant() -> None:
    """2030-02-26 13:51:25 in Beijing is 05:51:25 UTC: the token's epoch says so."""
    assert datetime.fromtimestamp(1898315485, UTC) == datetime(2030, 2, 26, 5, 51, 25, tzinfo=UTC)


def test_goods_that_do_not_add_up_are_flagged() -> None:
    """The seed's goods sum to ¥0.01 against ¥0.02: the card says so."""
    assert "goods add up to ¥0.01, but the total is ¥0.02" in payload_text(render(SEED_REPLY))


def test_goods_that_add_up_are_not_flagged() -> None:
    """No warning when the lines match the total."""
    card = render(SEED_REPLY | {"totalAmount": "1"})
    assert "add up" not in payload_text(card)


def test_a_reply_with_only_errcode_renders_a_valid_card() -> None:
    """Missing fields are left out, with a placeholder header and a fallback text."""
    card = render({"errCode": "SUCCESS"})
    assert payload(card)["blocks"][0]["text"]["text"] == "(merchant name not given)"
    assert card.text
    assert limit_problems(card) == []
    assert blocks_of(card, "actions") == []


def test_hostile_strings_are_escaped_everywhere() -> None:
    """Mentions, links and &<> in merchant, goods and description arrive as harmless text."""
    card = render(
        SEED_REPLY
        | {
            "merName": HOSTILE,
            "billDesc": HOSTILE,
            "tid": HOSTILE,
            "goods": [{"goodsName": HOSTILE, "quantity": "1", "price": "2"}],
        }
    )
    text = payload_text(card)
    for raw in ("<!channel>", "<@U123>", "<https://evil.example|click me>"):
        assert raw not in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text
    assert "&lt;!channel&gt;" in card.text
    assert limit_problems(card) == []


def test_two_hundred_goods_show_the_first_lines_and_a_count() -> None:
    """A long list shows ten lines and 'and 190 more', within the section limit."""
    goods = [{"goodsName": f"商品{i}", "quantity": "1", "price": "100"} for i in range(200)]
    card = render(SEED_REPLY | {"goods": goods, "totalAmount": "20000"})
    section = blocks_of(card, "section")[2]["text"]["text"]
    assert section.count("• ") == 10
    assert "…and 190 more" in section
    assert limit_problems(card) == []


def test_long_goods_names_are_clipped_and_the_card_stays_valid() -> None:
    """Twenty-five 2,000-character names: each clipped, ten shown, the rest counted."""
    goods = [{"goodsName": "&" * 2000, "quantity": "1", "price": "1"} for _ in range(25)]
    card = render(SEED_REPLY | {"goods": goods})
    assert limit_problems(card) == []
    section = blocks_of(card, "section")[2]["text"]["text"]
    assert section.count("• ") == 10
    assert "…and 15 more" in section


def test_a_three_thousand_character_description_is_clipped() -> None:
    """billDesc of 3,000 characters (plus escapes) is cut with an ellipsis within 3,000."""
    card = render(SEED_REPLY | {"billDesc": "&" * 3000})
    description = blocks_of(card, "section")[1]["text"]["text"]
    assert description.endswith("…")
    assert len(description) <= 3000
    assert "&amp;&amp;" in description
    assert limit_problems(card) == []


def test_a_non_https_url_is_shown_as_unlinked_text_with_a_warning() -> None:
    """http:// gets no button and no link: verbatim text and a warning."""
    url = "http://qr.chinaums.com/bills/qrCode.do?id=31942611251045330000889900"
    card = render(SEED_REPLY | {"qrCodeUrl": url})
    assert blocks_of(card, "actions") == []
    [section] = [b for b in blocks_of(card, "section") if "not https" in b["text"]["text"]]
    assert section["text"]["verbatim"] is True
    assert url in section["text"]["text"]
    assert f"<{url}" not in payload_text(card)


def test_a_javascript_url_is_never_a_button() -> None:
    """Anything but https:// is text."""
    card = render(SEED_REPLY | {"qrCodeUrl": "javascript:alert(1)"})
    assert blocks_of(card, "actions") == []


def action_ids(card: Card) -> list[str]:
    return [e["action_id"] for b in blocks_of(card, "actions") for e in b["elements"]]


def test_show_qr_code_sits_next_to_open_qr_code_with_the_lookup_as_its_value() -> None:
    """Open QR code, Show QR code, Refresh, Share; Show carries what Refresh carries."""
    card = render(SEED_REPLY, buttons=BUTTONS)
    assert action_ids(card) == ["open_qr", SHOW_QR_ACTION, "refresh_card", "share_card"]
    [actions] = blocks_of(card, "actions")
    show = actions["elements"][1]
    assert (show["text"]["text"], show["value"]) == ("Show QR code", BUTTONS.value)
    assert "url" not in show


@pytest.mark.parametrize(
    "url",
    [
        "http://qr.chinaums.com/bills/qrCode.do?id=31942611251045330000889900",
        "https://evil.example/48020000/31942002268195125132885377",
        "https://qr.95516.com.evil.example/48020000/31942002268195125132885377",
    ],
    ids=["http", "another-host", "a-suffix"],
)
def test_no_show_qr_code_for_a_url_the_bot_does_not_draw(url: str) -> None:
    """http, or https on another host: no Show QR code (the https one keeps Open QR code)."""
    card = render(SEED_REPLY | {"qrCodeUrl": url}, buttons=BUTTONS)
    assert SHOW_QR_ACTION not in action_ids(card)
    assert ("open_qr" in action_ids(card)) is url.startswith("https://")


def test_the_caption_is_one_line_with_merchant_amount_expiry_and_environment() -> None:
    """测试商户 · ¥0.02 · expires <date token> · SANDBOX, in one line."""
    info = QrCodeInfo.model_validate(SEED_REPLY)
    assert qr_caption(info, "sandbox", ENGLISH) == (
        "测试商户  ·  ¥0.02  ·  expires "
        "<!date^1898315485^{date_short_pretty} {time}|2030-02-26 13:51:25 UTC+8>"
        "  ·  :test_tube: *SANDBOX*"
    )


def test_the_caption_in_chinese() -> None:
    """过期时间 and the environment's Chinese badge."""
    info = QrCodeInfo.model_validate(SEED_REPLY)
    caption = qr_caption(info, "prod", ZH)
    assert caption.startswith("测试商户  ·  ¥0.02  ·  过期时间 <!date^1898315485^")
    assert caption.endswith(ZH(":large_green_circle: *PROD*"))


def test_the_caption_escapes_the_merchant_and_stays_one_line() -> None:
    """A hostile merchant name with newlines: escaped, on one line; no expiry, no amount."""
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", "merName": HOSTILE + "\n\nx"})
    caption = qr_caption(info, "test", ENGLISH)
    assert "\n" not in caption
    assert "<!channel>" not in caption
    assert caption.startswith("&lt;!channel&gt; &amp; &lt;@U123&gt;")
    assert caption.endswith("x  ·  no amount  ·  :construction: *TEST*")
    assert "expires" not in caption


def test_an_expired_code_is_marked_expired() -> None:
    """expireTime in the past: 'Expired' under the amount."""
    card = render(SEED_REPLY | {"expireTime": "2025-06-30 23:59:59"})
    assert ":no_entry: *Expired*" in blocks_of(card, "section")[0]["text"]["text"]


def test_a_code_expiring_within_a_day_is_marked() -> None:
    """expireTime 30 minutes ahead: 'Expires within a day'."""
    soon = (NOW + timedelta(minutes=30)).astimezone(UTC) + timedelta(hours=8)
    card = render(SEED_REPLY | {"expireTime": soon.strftime("%Y-%m-%d %H:%M:%S")})
    assert "Expires within a day" in blocks_of(card, "section")[0]["text"]["text"]


def test_a_far_expiry_is_not_marked() -> None:
    """The seed's 2030 expiry: no mark."""
    summary = blocks_of(render(SEED_REPLY), "section")[0]["text"]["text"]
    assert "Expire" not in summary


# --- any reply the models accept renders within the limits --------------------------------


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(reply=any_reply, language=st.sampled_from(LANGUAGES))
def test_any_reply_the_model_accepts_renders_within_block_kit_limits(
    reply: dict[str, Any], language: Language
) -> None:
    """Whatever the gateway sends, the card (with its buttons) validates in slack_sdk and keeps
    every limit, in either language; Show QR code only for a URL the bot draws."""
    card = render(reply, tr=translator(language), buttons=BUTTONS)
    assert limit_problems(card) == []
    url = QrCodeInfo.model_validate(reply).qr_code_url
    assert (SHOW_QR_ACTION in action_ids(card)) is drawable(url)
    assert len(card.text) <= 300
    json.dumps(payload(card))
    # limit_problems also reads every block back through slack_sdk: the same JSON, byte for
    # byte, as slack_sdk's own model objects would send for any reply.


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_absurd_amount_still_renders_a_card(language: Language) -> None:
    """10**40 fen (a gateway bug): the card shows it in full, within the limits, no crash."""
    huge = "1" + "0" * 40
    goods = [{"goodsName": "x", "quantity": "1", "price": huge}]
    card = render(SEED_REPLY | {"totalAmount": huge, "goods": goods}, tr=translator(language))
    assert limit_problems(card) == []
    assert "¥100,000,000,000,000,000,000,000,000,000,000,000,000.00" in payload_text(card)
