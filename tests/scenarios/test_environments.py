"""Test and production side by side: which gateway a lookup goes to, and staying there.

Two sandboxes on loopback ports stand for the provider's two environments, each knowing only
its own developer (appId and key), as the real ones do.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestServer

from bot.config import ConfigError, load_settings
from bot.gateway.transport import new_http_client
from bot.kit.simulate import interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.server import create_web_app
from bot.slack.cards.blocks import RAW_REPLY_ACTION, REFRESH_ACTION
from bot.slack.cards.card import SHARE_ACTION, SHOW_QR_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from bot.wiring import build_gateway, build_gateways, new_gateway_http
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SIGNING_SECRET, AppFactory, all_text, ask, click, lookups
from tests.slack.payloads import button_click, view_submission

MID, QR = "898340149000005", "31942002268195125132885377"
TEST_APP_ID, TEST_APP_KEY = "qrinfo-test-env-app-000000000000", "qrinfo-test-env-key-000000000000"
TEST_URL = f"https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}"
PROD_URL = f"https://qr.95516.com/48020000/{QR}"
OPERATOR = "U0QRINFO01"  # the demo user who runs the commands


@dataclass
class Environments:
    """The provider's production and test gateways, each a sandbox on its own port."""

    prod: SandboxGateway
    test: SandboxGateway
    prod_url: str
    test_url: str
    http: httpx.AsyncClient  # the bot's one client for both: real loopback connections

    def calls(self) -> tuple[int, int]:
        """(production, test) query requests so far."""
        return self.prod.query_requests, self.test.query_requests

    def settings(self, **more: Any) -> dict[str, Any]:
        """Production the default gateway, test beside it."""
        return {
            "chinaums_env": "prod",
            "chinaums_base_url": self.prod_url,
            "chinaums_app_id": SANDBOX_APP_ID,
            "chinaums_app_key": SANDBOX_APP_KEY,
            "chinaums_test_base_url": self.test_url,
            "chinaums_test_app_id": TEST_APP_ID,
            "chinaums_test_app_key": TEST_APP_KEY,
            "http": self.http,
        } | more


@pytest.fixture
async def envs() -> AsyncIterator[Environments]:
    prod, test = SandboxGateway(), SandboxGateway(apps={TEST_APP_ID: TEST_APP_KEY})
    servers = [TestServer(create_web_app(g), host="127.0.0.1", port=0) for g in (prod, test)]
    for server in servers:
        await server.start_server()
    http = new_http_client()
    try:
        urls = [str(server.make_url("")).rstrip("/") for server in servers]
        yield Environments(prod, test, urls[0], urls[1], http)
    finally:
        await http.aclose()
        for server in servers:
            await server.close()


def button_value(card: dict[str, Any], action: str) -> str:
    [value] = [
        element["value"]
        for block in card["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action
    ]
    return str(value)


def footer(card: dict[str, Any]) -> str:
    return json.dumps(card["blocks"][-1], ensure_ascii=False)


@pytest.mark.parametrize(
    ("words", "expected_calls", "badge"),
    [
        ("test", (0, 1), "*TEST*"),
        ("测试", (0, 1), "*TEST*"),
        ("TEST:", (0, 1), "*TEST*"),
        ("prod", (1, 0), "*PROD*"),
        ("生产", (1, 0), "*PROD*"),
        ("", (1, 0), "*PROD*"),  # no word: the default gateway
    ],
)
async def test_a_first_word_sends_the_lookup_to_that_environments_gateway(
    make_app: AppFactory,
    sink: ResponseSink,
    envs: Environments,
    words: str,
    expected_calls: tuple[int, int],
    badge: str,
) -> None:
    """test / 测试 / prod / 生产 before the lookup pick the gateway; no word, the default."""
    card = await ask(make_app(**envs.settings()), sink, f"{words} {MID} {QR}")
    assert envs.calls() == expected_calls
    assert "测试商户" in card["text"]
    assert badge in footer(card)


@pytest.mark.parametrize(
    ("url", "expected_calls", "badge"),
    [
        (TEST_URL, (0, 1), "*TEST*"),
        (TEST_URL.replace("qr-test2", "qr-test1"), (0, 1), "*TEST*"),
        (f"<{TEST_URL.replace('qr-test2', 'qr-test3')}|the code>", (0, 1), "*TEST*"),
        (PROD_URL, (1, 0), "*PROD*"),
        (f"http://qr.chinaums.com/bills/qrCode.do?id={QR}", (1, 0), "*PROD*"),
    ],
)
async def test_a_pasted_urls_host_picks_the_gateway(
    make_app: AppFactory,
    sink: ResponseSink,
    envs: Environments,
    url: str,
    expected_calls: tuple[int, int],
    badge: str,
) -> None:
    """qr-test1/2/3 hosts go to the test gateway, qr.chinaums.com and qr.95516.com to production."""
    card = await ask(make_app(**envs.settings()), sink, f"{MID} {url}")
    assert envs.calls() == expected_calls
    assert badge in footer(card)


async def test_refresh_share_and_the_raw_reply_stay_on_the_gateway_that_answered(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """Buttons on a test card ask the test gateway again; its raw reply carries the TEST badge."""
    app = make_app(**envs.settings(qrinfo_operators=OPERATOR))
    card = await ask(app, sink, f"{MID} {TEST_URL}")
    assert envs.calls() == (0, 1)

    refreshed = await click(app, sink, REFRESH_ACTION, button_value(card, REFRESH_ACTION))
    assert envs.calls() == (0, 2)
    assert "*TEST*" in footer(refreshed)

    raw = await click(app, sink, RAW_REPLY_ACTION, button_value(refreshed, RAW_REPLY_ACTION))
    assert "*TEST*" in all_text(raw)
    assert envs.calls() == (0, 2)  # a look at a kept reply asks no gateway

    shared = await click(app, sink, SHARE_ACTION, button_value(refreshed, SHARE_ACTION))
    assert envs.calls() == (0, 3)
    assert shared["response_type"] == "in_channel"
    assert "*TEST*" in footer(shared)


async def test_a_button_from_before_gateways_were_named_goes_to_the_default(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """A button value without env (cards posted before this version) asks the default gateway."""
    old_value = json.dumps({"mid": MID, "qr": QR})
    card = await click(make_app(**envs.settings()), sink, REFRESH_ACTION, old_value)
    assert envs.calls() == (1, 0)
    assert "*PROD*" in footer(card)


async def test_an_environment_not_configured_is_named_with_its_settings_and_nothing_is_sent(
    make_app: AppFactory, sink: ResponseSink, envs: Environments, tmp_path: Path
) -> None:
    """Test the default gateway, production not configured: a production code is not asked
    of the test gateway (it would come back as a puzzling NO_BILL)."""
    audit = tmp_path / "audit.jsonl"
    app = make_app(
        audit=audit,
        http=envs.http,
        chinaums_env="test",
        chinaums_base_url=envs.test_url,
        chinaums_app_id=TEST_APP_ID,
        chinaums_app_key=TEST_APP_KEY,
    )
    for text in (f"prod {MID} {QR}", f"{MID} {PROD_URL}", f"生产 {MID} {QR}"):
        card = await ask(app, sink, text)
        said = all_text(card)
        assert "not connected to production" in said, text
        assert "`CHINAUMS_PROD_APP_ID` and `CHINAUMS_PROD_APP_KEY`" in said
        assert "nothing was sent to the gateway" in said
    assert envs.calls() == (0, 0)
    card = await ask(app, sink, f"test {MID} {QR}")  # its own environment still works
    assert envs.calls() == (0, 1)
    assert "*TEST*" in footer(card)
    await make_app.settled()
    make_app.audit_logs[0].close()
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(line["env"], line["outcome"]) for line in lines] == [
        ("prod", "unconfigured"),
        ("prod", "unconfigured"),
        ("prod", "unconfigured"),
        ("test", "found"),
    ]


async def test_a_word_and_a_url_from_different_environments_are_refused_locally(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """`prod` with a test URL is refused before any gateway is asked."""
    card = await ask(make_app(**envs.settings()), sink, f"prod {MID} {TEST_URL}")
    said = all_text(card)
    assert "`prod` asks for production, but that URL is a code from the test environment" in said
    assert envs.calls() == (0, 0)


async def test_the_audit_line_records_the_gateway(
    make_app: AppFactory, sink: ResponseSink, envs: Environments, tmp_path: Path
) -> None:
    """Each audit line names the environment of the gateway that answered."""
    audit = tmp_path / "audit.jsonl"
    app = make_app(audit=audit, **envs.settings())
    await ask(app, sink, f"{MID} {TEST_URL}")
    await ask(app, sink, f"{MID} {QR}")
    await make_app.settled()
    make_app.audit_logs[0].close()
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(line["env"], line["outcome"]) for line in lines] == [
        ("test", "found"),
        ("prod", "found"),
    ]


async def test_each_gateway_has_its_own_breaker_and_identical_lookups_are_per_gateway(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """The test gateway failing opens its circuit only; production goes on. The same code
    asked of both is two lookups, not one shared answer."""
    app, services = make_app.build(**envs.settings(qrinfo_breaker_failures=1, chinaums_timeout=0.5))
    card = await ask(app, sink, f"test {MID} E5030000000000000000000001")
    assert "*TEST*" in footer(card)
    circuits = {env: client.breaker.snapshot().state for env, client in services.gateways}
    assert circuits == {"prod": "closed", "test": "open"}
    paused = await ask(app, sink, f"test {MID} {QR}")
    assert "paused" in all_text(paused).lower()
    assert envs.test.query_requests >= 1
    before = envs.test.query_requests
    card = await ask(app, sink, f"{MID} {QR}")
    assert "测试商户" in card["text"]
    assert envs.test.query_requests == before  # nothing more asked of the open one
    assert envs.prod.query_requests == 1


async def test_the_same_code_on_two_gateways_is_two_lookups(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """An identical lookup is shared only on the same gateway."""
    app = make_app(**envs.settings())
    await ask(app, sink, f"{MID} {QR}")
    await ask(app, sink, f"test {MID} {QR}")
    await ask(app, sink, f"prod {MID} {QR}")  # reused: the production answer of a moment ago
    assert envs.calls() == (1, 1)


async def test_the_sandbox_as_default_stands_in_for_an_environment_not_configured(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """With no credentials at all (the quickstart), a test or production code is answered by
    the sandbox, and the badge says so."""
    app = make_app()
    for text in (f"test {MID} {QR}", f"{MID} {PROD_URL}"):
        card = await ask(app, sink, text)
        assert "测试商户" in card["text"]
        assert "*SANDBOX*" in footer(card)


async def test_help_lists_every_gateway_and_the_words(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """The usage card names both gateways and the environment words."""
    said = all_text(await ask(make_app(**envs.settings()), sink, "help"))
    assert "connected to the production gateway" in said
    assert "and to the provider's test gateway" in said
    assert "/qrinfo test" in said


async def test_the_in_process_sandbox_and_a_gateway_on_the_network_share_one_client(
    envs: Environments,
) -> None:
    """Default the in-process sandbox, test on the network: new_gateway_http routes each."""
    settings = load_settings(
        chinaums_test_base_url=envs.test_url,
        chinaums_test_app_id=TEST_APP_ID,
        chinaums_test_app_key=TEST_APP_KEY,
    )
    http = new_gateway_http(settings)
    try:
        gateways = build_gateways(settings, http, build_gateway(settings, http))
        assert [env for env, _ in gateways] == ["sandbox", "test"]
        info = await gateways.client("test").query_qrcode_info(MID, QR)
        assert info.mer_name == "测试商户"
        assert envs.calls() == (0, 1)
        info = await gateways.client("sandbox").query_qrcode_info(MID, QR)
        assert envs.calls() == (0, 1)  # answered inside the process
    finally:
        await http.aclose()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"chinaums_test_app_id": TEST_APP_ID},
            "CHINAUMS_TEST_APP_KEY: required when CHINAUMS_TEST_APP_ID is set",
        ),
        (
            {"chinaums_prod_base_url": "https://api-mop.chinaums.com"},
            "CHINAUMS_PROD_APP_ID: required when CHINAUMS_PROD_BASE_URL is set",
        ),
        (
            {
                "chinaums_env": "test",
                "chinaums_app_id": "a",
                "chinaums_app_key": "k",
                "chinaums_test_app_id": TEST_APP_ID,
                "chinaums_test_app_key": TEST_APP_KEY,
            },
            "CHINAUMS_TEST_APP_ID: the default gateway is already the test environment",
        ),
        (
            {"chinaums_prod_base_url": "ftp://x"},
            "CHINAUMS_PROD_BASE_URL: expected an http:// or https:// URL such as "
            "https://api-mop.chinaums.com",
        ),
        ({"chinaums_test_auth": "basic"}, "CHINAUMS_TEST_AUTH: expected 'body-sig' or 'token'"),
    ],
)
def test_a_second_gateway_set_wrong_is_one_line_naming_the_variable(
    values: dict[str, Any], message: str
) -> None:
    """A half-configured or contradictory second gateway stops the start with one line."""
    with pytest.raises(ConfigError) as caught:
        load_settings(**values)
    assert message in str(caught.value)
    assert TEST_APP_KEY not in str(caught.value)


def test_a_second_gateway_is_not_in_the_settings_repr() -> None:
    """The second gateway's key never shows in a repr."""
    settings = load_settings(chinaums_test_app_id=TEST_APP_ID, chinaums_test_app_key=TEST_APP_KEY)
    assert TEST_APP_KEY not in repr(settings)
    assert list(settings.gateway.second_gateways()) == ["test"]


async def test_replicas_share_each_gateways_own_token_in_redis(
    make_app: AppFactory, sink: ResponseSink, envs: Environments, redis_url: str
) -> None:
    """Two replicas, two gateways in token mode: one token per gateway for the fleet, never
    one gateway's token sent to the other (each sandbox knows only its own)."""
    settings = envs.settings(
        qrinfo_redis_url=redis_url, chinaums_auth="token", chinaums_test_auth="token"
    )
    first, second = make_app(**settings), make_app(**settings)
    one_time = "898440353110321 31942611251400310000445566"  # another code: no shared answer
    for app, text, badge in [
        (first, f"test {MID} {QR}", "*TEST*"),
        (second, f"test {one_time}", "*TEST*"),
        (second, f"{MID} {QR}", "*PROD*"),
        (first, one_time, "*PROD*"),
    ]:
        card = await ask(app, sink, text)
        assert badge in footer(card)
        assert "Gateway answered" not in all_text(card)  # found, not a rejected token
    assert (envs.prod.token_requests, envs.test.token_requests) == (1, 1)
    assert envs.calls() == (2, 2)


async def test_show_qr_code_draws_from_the_gateway_that_answered_and_names_it(
    make_app: AppFactory, sink: ResponseSink, envs: Environments, slack_api: FakeSlackApi
) -> None:
    """Show QR code on a test card asks the test gateway and captions TEST."""
    app = make_app(**envs.settings())
    card = await ask(app, sink, f"{MID} {TEST_URL}")
    payload = button_click(
        SHOW_QR_ACTION, button_value(card, SHOW_QR_ACTION), response_url=sink.url()
    )
    await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    [completed] = await slack_api.wait_for("files.completeUploadExternal")
    await make_app.settled()
    assert envs.calls() == (0, 1)  # the test gateway's answer of a moment ago
    assert "*TEST*" in completed["initial_comment"]
    assert completed["channel_id"] == slack_api.dm_channel


async def test_an_id_and_its_url_on_the_default_gateway_are_one_line_of_a_batch(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """Production the default: a code's id and its production URL are the same lookup."""
    other = "31942611251400310000445566"
    card = await ask(make_app(**envs.settings()), sink, f"{MID} {PROD_URL} {QR} {other}")
    said = all_text(card)
    assert "*2 QR codes*" in said
    assert "1 repeated code was looked up once" in said
    assert envs.calls() == (2, 0)


async def test_someone_not_allowed_learns_nothing_of_the_configuration(
    make_app: AppFactory, sink: ResponseSink, envs: Environments, tmp_path: Path
) -> None:
    """Not allowed, asking for an environment with no gateway: the refusal, not the settings."""
    audit = tmp_path / "audit.jsonl"
    app = make_app(
        audit=audit,
        qrinfo_allowed_users="U0SOMEONE1",
        http=envs.http,
        chinaums_env="test",
        chinaums_base_url=envs.test_url,
        chinaums_app_id=TEST_APP_ID,
        chinaums_app_key=TEST_APP_KEY,
    )
    for text in (f"prod {MID} {QR}", f"{MID} {PROD_URL}", f"{MID} {QR} {PROD_URL}"):
        said = all_text(await ask(app, sink, text))
        assert "CHINAUMS_" not in said, text
        assert "not connected" not in said, text
    await make_app.settled()
    make_app.audit_logs[0].close()
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["outcome"] for line in lines] == ["refused"] * 4
    assert envs.calls() == (0, 0)


async def test_a_card_from_the_sandbox_on_a_bot_now_in_production_says_so(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """A button made while the bot ran on the sandbox: no advice to set CHINAUMS_ENV=sandbox."""
    value = json.dumps({"mid": MID, "qr": QR, "env": "sandbox"})
    said = all_text(await click(make_app(**envs.settings()), sink, REFRESH_ACTION, value))
    assert "This card is from the sandbox" in said
    assert "CHINAUMS_ENV" not in said
    assert envs.calls() == (0, 0)


async def test_an_id_and_its_own_url_give_the_usual_card(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """Production the default: `<id> <its production URL>` is one lookup, shown as one card."""
    card = await ask(make_app(**envs.settings()), sink, f"{MID} {QR} {PROD_URL}")
    assert "refresh_card" in all_text(card)
    assert "QR code* of merchant" not in all_text(card)
    assert envs.calls() == (1, 0)


async def test_twenty_codes_and_the_url_of_one_of_them_are_twenty_lookups(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """The parser counts an id and its URL once; the gateway sees 20 calls."""
    ids = [f"BNCH{n:022}" for n in range(20)]
    url = f"https://qr.95516.com/48020000/{ids[0]}"
    card = await ask(make_app(**envs.settings()), sink, " ".join([MID, *ids, url]))
    assert "*20 QR codes*" in all_text(card)
    assert "1 repeated code was looked up once" in all_text(card)
    assert envs.calls() == (20, 0)


def eleven_codes_on_both_gateways() -> str:
    """11 ids as typed (production, the default) and the same 11 as test URLs: 11 codes as
    the parser counts them, 22 lookups once routed."""
    ids = [f"BNCH{n:022}" for n in range(11)]
    return " ".join([*ids, *(f"https://qr-test2.chinaums.com/bills/qrCode.do?id={i}" for i in ids)])


async def test_a_list_that_routes_to_more_than_twenty_lookups_is_refused_before_any(
    make_app: AppFactory, sink: ResponseSink, envs: Environments
) -> None:
    """The limit counts lookups as routed: the same id on two gateways is two."""
    app, services = make_app.build(**envs.settings())
    card = await ask(app, sink, f"{MID} {eleven_codes_on_both_gateways()}")
    assert "That is 22 QR codes; look up at most 20 at once." in all_text(card)
    assert "nothing was sent to the gateway" in all_text(card)
    await make_app.settled()
    assert lookups(services) == {("command", "invalid"): 1}
    assert envs.calls() == (0, 0)


async def test_a_form_list_that_routes_to_more_than_twenty_lookups_stays_open(
    make_app: AppFactory, slack_api: FakeSlackApi, envs: Environments
) -> None:
    """The form's list, counted as routed: an inline error, nothing asked, nothing posted."""
    app = make_app(**envs.settings())
    submission = view_submission(FORM_CALLBACK, MID, eleven_codes_on_both_gateways())
    response = await app.async_dispatch(
        signed_request(interaction_body(submission), SIGNING_SECRET)
    )
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert body["errors"]["qrCodeId"] == "That is 22 QR codes; look up at most 20 at once."
    await make_app.settled()
    assert envs.calls() == (0, 0)
    assert slack_api.of("chat.postMessage") == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8700", "HTTP://127.0.0.1:08700", "http://127.0.0.1:8700/gw"]
)
def test_a_second_gateway_on_the_in_process_sandboxs_url_is_refused(url: str) -> None:
    """The in-process sandbox would answer for it (however the URL is written): one line
    saying how to mean the other."""
    with pytest.raises(ConfigError) as caught:
        load_settings(
            chinaums_test_base_url=url,
            chinaums_test_app_id=TEST_APP_ID,
            chinaums_test_app_key=TEST_APP_KEY,
        )
    assert "CHINAUMS_TEST_BASE_URL: " in str(caught.value)
    assert "is where the built-in sandbox answers inside this process" in str(caught.value)


def test_a_second_gateways_auth_alone_is_one_line_naming_what_is_missing() -> None:
    """CHINAUMS_TEST_AUTH=token alone does nothing: said, not ignored."""
    with pytest.raises(ConfigError) as caught:
        load_settings(chinaums_test_auth="token")
    assert "CHINAUMS_TEST_APP_ID: required when CHINAUMS_TEST_AUTH is set" in str(caught.value)
