"""Building the parts (bot/wiring/build.py): each gateway's own configuration, Redis under a
prefix of the gateway's, the lookup service from Settings, the sandbox's faults, the demo's
app."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.config import GATEWAY_URLS, load_settings
from bot.gateway.errors import GatewayRejected
from bot.kit.simulate import slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.credentials import SANDBOX_APP_ID
from bot.slack.serving.http_server import HttpServer, create_http_app
from bot.slack.webapi.acks_first import AcksFirst
from bot.slack.webapi.language import users_info_locale
from bot.slack.webapi.pool import ReplyPool
from bot.version import version
from bot.wiring import (
    build_gateway,
    build_gateways,
    build_services,
    build_slack_app,
    demo_app,
    fleet_store,
    gateway_config,
    new_gateway_http,
    sandbox_faults,
    serving,
)
from bot.wiring.build import _locale_lookup, build_readers
from tests.processes import eventually
from tests.service.helpers import sandbox_services
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    HELD_SECONDS,
    SIGNING_SECRET,
    TEST_AUTHORIZATION,
    WAIT,
    Clock,
    released_by_hand,
    sign,
    web_client,
)

SECOND: dict[str, Any] = {"chinaums_prod_app_id": "prod-id", "chinaums_prod_app_key": "prod-key"}


def test_a_second_gateways_config_is_its_own_with_the_defaults_shared_settings() -> None:
    settings = load_settings(**SECOND, chinaums_timeout=3.0, chinaums_system_id="SYS")
    prod = gateway_config(settings, "prod")
    assert (prod.base_url, prod.app_id, prod.app_key.get_secret_value()) == (
        GATEWAY_URLS["prod"],
        "prod-id",
        "prod-key",
    )
    assert (prod.timeout, prod.system_id) == (3.0, "SYS")
    default = gateway_config(settings)
    assert (default.base_url, default.app_id) == (GATEWAY_URLS["sandbox"], SANDBOX_APP_ID)


def test_an_environment_without_a_second_gateway_gets_the_defaults_config() -> None:
    settings = load_settings()
    assert gateway_config(settings, "test") == gateway_config(settings)


def test_no_redis_url_no_store() -> None:
    assert fleet_store(load_settings()) is None


async def test_replicas_of_one_bot_share_a_prefix_and_another_gateway_or_app_id_does_not() -> None:
    def prefix(**values: Any) -> str:
        store = fleet_store(load_settings(qrinfo_redis_url="redis://127.0.0.1:1/0", **values))
        assert store is not None
        return store.prefix

    mine = prefix(qrinfo_redis_prefix="bot")
    assert mine.startswith("bot:")
    assert len(mine) == len("bot:") + 8
    assert prefix(qrinfo_redis_prefix="bot") == mine
    assert prefix(qrinfo_redis_prefix="bot", chinaums_app_id="another") != mine
    assert prefix(qrinfo_redis_prefix="bot", chinaums_base_url="http://127.0.0.1:9") != mine


async def test_the_services_take_the_guards_policy_and_windows_from_the_settings() -> None:
    settings = load_settings(
        qrinfo_user_rate=7,
        qrinfo_allowed_channels="C0123ABCD",
        qrinfo_operators="U0ONCALL1",
        qrinfo_coalesce_seconds=9,
        qrinfo_access_hint="#help",
    )
    http = new_gateway_http(settings)
    try:
        services = build_services(settings, build_gateway(settings, http))
    finally:
        await http.aclose()
    policy = services.guard.policy
    assert policy.user_rate == 7
    assert policy.channels == frozenset({"C0123ABCD"})
    assert policy.operators == frozenset({"U0ONCALL1"})
    assert (services.coalescer.window, services.access_hint) == (9, "#help")
    assert services.metrics.version == version()
    assert (services.store, services.fleet) == (None, None)


async def test_second_gateways_are_built_beside_the_default_each_its_own_client() -> None:
    settings = load_settings(**SECOND)
    http = new_gateway_http(settings)
    try:
        default = build_gateway(settings, http)
        gateways = build_gateways(settings, http, default)
    finally:
        await http.aclose()
    assert [env for env, _ in gateways] == ["sandbox", "prod"]
    assert gateways.default_client is default
    assert gateways.client("prod").base_url == GATEWAY_URLS["prod"]


async def test_the_in_process_sandbox_answers_without_a_network() -> None:
    settings = load_settings()
    http = new_gateway_http(settings)
    try:
        client = build_gateway(settings, http)
        with pytest.raises(GatewayRejected) as caught:
            await client.query_qrcode_info("898340149000005", "31940000000000000000000000")
    finally:
        await http.aclose()
    assert caught.value.code == "NO_BILL"


def test_sandbox_faults_out_of_range_are_refused_naming_the_flag() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        sandbox_faults(
            latency_ms=0, jitter_ms=0, error_rate=2, malformed_rate=0, hang_rate=0, seed=None
        )
    faults = sandbox_faults(
        latency_ms=5, jitter_ms=0, error_rate=0.5, malformed_rate=0, hang_rate=0, seed=3
    )
    assert (faults.latency_ms, faults.error_rate, faults.seed) == (5, 0.5, 3)


async def test_the_demo_app_signs_with_a_secret_of_its_own_each_run() -> None:
    settings = load_settings(chinaums_timeout=2.0)
    async with (
        demo_app(settings, authorization=TEST_AUTHORIZATION) as first,
        demo_app(settings, authorization=TEST_AUTHORIZATION) as second,
    ):
        assert first.signing_secret != second.signing_secret
        assert len(first.signing_secret) == 32
        assert first.reply_wait == 7.0
        assert first.signing_secret not in repr(first)


async def test_with_a_reply_pool_users_info_goes_on_its_own_connections(
    slack_api: FakeSlackApi,
) -> None:
    """serve's readers ask users.info on the reply pool's kept-alive connections (the API's)."""
    pool = ReplyPool()
    client = web_client(slack_api)
    client.session = pool.api_session()
    slack_api.locales["U1"] = "zh-CN"
    assert await _locale_lookup(pool)(client, "U1") == "zh-CN"
    assert repr(pool.api_connections) == "Http1Pool(limit=50, open=1)"
    assert repr(pool.connections) == "Http1Pool(limit=100, open=0)"
    await pool.aclose()
    assert _locale_lookup(None) is users_info_locale


async def test_readers_ask_slack_on_no_more_at_once_than_the_api_connections() -> None:
    """Those beyond the reply pool's Web API connections wait in Readers (holding little),
    not in the connections' queue; without a reply pool there is no such bound."""
    async with sandbox_services() as services:
        pool = ReplyPool(max_api_connections=7)
        assert build_readers(load_settings(), services, pool, AcksFirst()).max_asking == 7
        assert build_readers(load_settings(), services, None, AcksFirst()).max_asking is None


async def test_serves_door_and_readers_share_one_acks_first(
    slack_api: FakeSlackApi, sink: ResponseSink
) -> None:
    """serve's front door and its readers share the services' AcksFirst: a command that
    comes in a burst has its reader's users.info held there, and its card still comes in
    the reader's language (asked when the card wanted it, or once released)."""
    values: dict[str, Any] = {
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack_api.url,
    }
    settings, clock = load_settings(**values), Clock()
    slack_api.locales["U1"] = "zh-CN"
    reply_pool = ReplyPool()
    async with sandbox_services(**values) as services, aiohttp.ClientSession() as http:
        acks_first = released_by_hand(clock)
        slack = build_slack_app(
            settings,
            services,
            authorization=TEST_AUTHORIZATION,
            reply_pool=reply_pool,
            acks_first=acks_first,
        )
        door = serving._front_door(settings, slack, services, reply_pool)
        server = HttpServer(create_http_app(door, _ok, None), "127.0.0.1", 0)
        url = await server.start()
        try:
            body = slash_command_body(
                "898340149000005 31942002268195125132885377",
                response_url=sink.url(),
                user_id="U1",
            ).encode()
            headers = sign(body) | {"Content-Type": "application/x-www-form-urlencoded"}
            acks_first.arrived()  # another request just now: a burst
            async with http.post(url + "/slack/events", data=body, headers=headers) as acked:
                assert acked.status == 200
            await eventually(lambda: len(acks_first) == 1, WAIT)
            clock.now += HELD_SECONDS
            acks_first.release_due()
            card = await sink.next(WAIT)
            assert [call["user"] for call in slack_api.of("users.info")] == ["U1"]
            assert card.payload["text"].startswith("测试商户")
            assert "用时" in json.dumps(card.payload, ensure_ascii=False)  # in Chinese
        finally:
            await services.inflight.drain(WAIT)
            await server.stop(_ok)
            await reply_pool.aclose()


async def _ok() -> dict[str, Any]:
    return {"ok": True}
