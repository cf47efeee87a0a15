"""Scenario tests: each reader gets their Slack locale's language; channels get QRINFO_LANGUAGE."""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.config import load_settings
from bot.kit.simulate import DEMO_USER, interaction_body, signed_request, slash_command_body
from bot.kit.sink import ResponseSink
from bot.slack.cards.blocks import REFRESH_ACTION
from bot.slack.cards.card import SHARE_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from bot.slack.listeners.shortcuts import GLOBAL_SHORTCUT
from bot.slack.reading.button import encode_button_value
from bot.slack.webapi.language import Readers, users_info_locale
from bot.slack.webapi.pool import ReplyPool
from bot.wiring import build_gateway, build_services, build_slack_app
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    SEED,
    SEED_TEXT,
    SIGNING_SECRET,
    TEST_AUTHORIZATION,
    WAIT,
    AppFactory,
    all_text,
)
from tests.slack.payloads import button_click, global_shortcut, view_submission

NO_BILL_TEXT = "898340149000005 NOBILL00000000000000000001"


async def ask(app: AsyncApp, sink: ResponseSink, text: str, user: str = DEMO_USER) -> BoltResponse:
    body = slash_command_body(text, response_url=sink.url(), user_id=user)
    return await app.async_dispatch(signed_request(body, SIGNING_SECRET))


async def card(app: AsyncApp, sink: ResponseSink, text: str, user: str = DEMO_USER) -> str:
    """Run /qrinfo as *user* and return everything its card says."""
    response = await ask(app, sink, text, user)
    assert (response.status, response.body) == (200, "")
    return all_text((await sink.next(WAIT)).payload)


CHINESE = {
    "seed": ("分 12 期", "打开二维码", "商户号", "查询于", ":test_tube: *沙箱*"),
    "no-bill": ("该商户下不存在这个 ID 的二维码。", "*怎么办：*"),
    "help": ("查看银联商务支付二维码的内容", "卡片上的按钮"),
    "refusal": ("你在过去一分钟内已查询 1 次。请在", "秒后重试"),
}
ENGLISH = {
    "seed": ("in 12 instalments", "Open QR code", "Merchant no.", "looked up", "*SANDBOX*"),
    "no-bill": ("No QR code with this id exists for this merchant.", "*What to do:*"),
    "help": ("Look inside a Chinaums payment QR code", "Buttons on a card"),
    "refusal": ("You have made 1 lookup in the last minute. Try again in",),
}


async def four_cards(app: AsyncApp, sink: ResponseSink, user: str) -> dict[str, str]:
    """The seed card, a NO_BILL card, the help and (the user rate being 1) a refusal."""
    return {
        "seed": await card(app, sink, SEED_TEXT, user),
        "help": await card(app, sink, "帮助", user),
        "refusal": await card(app, sink, NO_BILL_TEXT, user),
    } | {"no-bill": await card(app, sink, NO_BILL_TEXT, "U0SECOND")}


@pytest.mark.parametrize(
    ("locale", "says", "never"),
    [("zh-CN", CHINESE, "Open QR code"), ("en-US", ENGLISH, "打开二维码")],
    ids=["zh-CN", "en-US"],
)
async def test_each_reader_gets_their_slack_locales_language(
    make_app: AppFactory,
    slack_api: FakeSlackApi,
    sink: ResponseSink,
    locale: str,
    says: dict[str, tuple[str, ...]],
    never: str,
) -> None:
    """Seed card, NO_BILL, help and a refusal, all in the locale's language (the default being
    the other one), and users.info asked once per user, with include_locale."""
    slack_api.locales = {DEMO_USER: locale, "U0SECOND": locale}
    other = "en" if locale.startswith("zh") else "zh"
    app = make_app(qrinfo_language=other, qrinfo_user_rate=1)
    cards = await four_cards(app, sink, DEMO_USER)
    for name, phrases in says.items():
        for phrase in phrases:
            assert phrase in cards[name], (name, phrase)
        assert never not in cards[name]
    asked = slack_api.of("users.info")
    assert sorted(call["user"] for call in asked) == sorted([DEMO_USER, "U0SECOND"])
    assert all(str(call["include_locale"]).lower() in {"true", "1"} for call in asked)


@pytest.mark.parametrize("error", ["missing_scope", "user_not_found"])
async def test_a_reader_slack_will_not_describe_gets_qrinfo_language(
    make_app: AppFactory,
    slack_api: FakeSlackApi,
    sink: ResponseSink,
    caplog: pytest.LogCaptureFixture,
    error: str,
) -> None:
    """users.info fails: the card still comes, in QRINFO_LANGUAGE; one WARNING says why."""
    slack_api.locales = {DEMO_USER: "en-US"}
    slack_api.errors["users.info"] = error
    app = make_app(qrinfo_language="zh")
    assert "分 12 期" in await card(app, sink, SEED_TEXT)
    assert "分 12 期" in await card(app, sink, SEED_TEXT)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "locale" in w] == [
        f"cannot read a user's Slack locale: {error}"
        + (" (add the users:read scope and reinstall the app)" if error == "missing_scope" else "")
        + "; answering in zh"
    ]
    assert len(slack_api.of("users.info")) == 1  # the failure is remembered for a while


async def test_a_locale_slack_is_slow_to_give_neither_delays_the_ack_nor_the_card(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """users.info never answers: the ack comes at once, the card after the locale wait, in
    QRINFO_LANGUAGE."""
    slack_api.silent.add("users.info")
    readers = Readers("zh", lookup=users_info_locale)
    readers.wait = 0.05
    app = make_app(readers=readers)
    response = await ask(app, sink, SEED_TEXT)
    assert (response.status, response.body, sink.count) == (200, "", 0)  # acked, nothing yet
    assert "分 12 期" in all_text((await sink.next(WAIT)).payload)
    assert len(slack_api.of("users.info")) == 1


async def test_a_shared_card_is_in_the_channels_language_and_the_sharers_notes_in_theirs(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A zh-CN reader shares: the channel gets QRINFO_LANGUAGE's (English) card."""
    slack_api.locales = {DEMO_USER: "zh-CN"}
    app = make_app(qrinfo_language="en")
    assert "分 12 期" in await card(app, sink, SEED_TEXT)
    click = button_click(SHARE_ACTION, encode_button_value(SEED), response_url=sink.url())
    await app.async_dispatch(signed_request(interaction_body(click), SIGNING_SECRET))
    shared = (await sink.next(WAIT)).payload
    assert shared["response_type"] == "in_channel"
    assert "in 12 instalments" in all_text(shared)
    assert "分 12 期" not in all_text(shared)


def view_of(call: dict[str, Any]) -> dict[str, Any]:
    view = call["view"]
    return view if isinstance(view, dict) else dict(json.loads(view))


async def test_the_form_and_its_inline_errors_are_in_the_readers_language(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    """The form opens in Chinese; its inline errors, sent with the ack, use the known locale."""
    slack_api.locales = {DEMO_USER: "zh-TW"}
    app = make_app(qrinfo_language="en")
    await app.async_dispatch(
        signed_request(interaction_body(global_shortcut(GLOBAL_SHORTCUT)), SIGNING_SECRET)
    )
    [opened] = await slack_api.wait_for("views.open")
    assert view_of(opened)["title"]["text"] == "查询二维码"
    submitted = view_submission(FORM_CALLBACK, "12-34", "898340149000005")
    response = await app.async_dispatch(signed_request(interaction_body(submitted), SIGNING_SECRET))
    errors = json.loads(response.body)["errors"]
    assert errors["mid"].startswith("应为由 8 到 15 位字母或数字组成的商户号")


# --- found by a red-team pass -------------------------------------------------------------------


async def test_a_hung_users_info_never_holds_up_a_cards_reply(
    gateway_http: Any, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """serve's wiring with small pools: users.info never answers (and is not cut short
    here), yet each new user's card arrives after the locale wait, because replies have
    connections of their own."""
    slack_api.silent.add("users.info")
    settings = load_settings(slack_signing_secret=SIGNING_SECRET, slack_api_url=slack_api.url)
    services = build_services(settings, build_gateway(settings, gateway_http))
    pool = ReplyPool(max_connections=3, max_api_connections=3)
    readers = Readers("en", lookup=partial(users_info_locale, seconds=60.0))
    readers.wait = 0.2
    app = build_slack_app(
        settings, services, authorization=TEST_AUTHORIZATION, reply_pool=pool, readers=readers
    ).bolt
    try:
        for i in range(5):
            await ask(app, sink, SEED_TEXT, user=f"U0NEW{i}")
        cards = [all_text((await sink.next(WAIT)).payload) for _ in range(5)]
        assert all("in 12 instalments" in c for c in cards)
    finally:
        await services.inflight.drain(WAIT)
        await pool.aclose()


async def test_refresh_on_the_forms_dm_card_keeps_the_readers_language_and_stays_private(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """A DM card is its reader's own: Refresh keeps their language, never goes in_channel."""
    slack_api.locales[DEMO_USER] = "zh-CN"
    app = make_app(qrinfo_language="en")
    submitted = view_submission(FORM_CALLBACK, "898340149000005", SEED.qr_code_id)
    await app.async_dispatch(signed_request(interaction_body(submitted), SIGNING_SECRET))
    [dm] = await slack_api.wait_for("chat.postMessage")
    assert "分 12 期" in json.dumps(dm, ensure_ascii=False)
    click = button_click(REFRESH_ACTION, encode_button_value(SEED), response_url=sink.url())
    click["container"] = {"type": "message", "message_ts": "1.0", "channel_id": "D0DM000001",
                          "is_ephemeral": False}  # fmt: skip
    click["channel"] = {"id": "D0DM000001", "name": "directmessage"}
    await app.async_dispatch(signed_request(interaction_body(click), SIGNING_SECRET))
    refreshed = (await sink.next(WAIT)).payload
    assert "分 12 期" in all_text(refreshed)
    assert refreshed["response_type"] == "ephemeral"
    assert SHARE_ACTION not in all_text(refreshed)


async def test_a_share_slack_refuses_is_explained_in_the_sharers_language(
    make_app: AppFactory, slack_api: FakeSlackApi
) -> None:
    slack_api.locales[DEMO_USER] = "zh-CN"
    app = make_app(qrinfo_language="en")
    async with ResponseSink(refuse=lambda p: p.get("response_type") == "in_channel") as sink:
        click = button_click(SHARE_ACTION, encode_button_value(SEED), response_url=sink.url())
        await app.async_dispatch(signed_request(interaction_body(click), SIGNING_SECRET))
        await sink.next(WAIT)  # the in_channel post, refused
        notice = all_text((await sink.next(WAIT)).payload)
    assert "Slack 返回 HTTP 404：expired_url" in notice
    assert "Slack answered" not in notice


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW", "ZH-cn", "zh"])
async def test_every_spelling_of_a_chinese_locale_gets_chinese(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink, locale: str
) -> None:
    slack_api.locales[DEMO_USER] = locale
    assert "分 12 期" in await card(make_app(qrinfo_language="en"), sink, SEED_TEXT)
