"""Helpers for driving the Slack app: signed requests, a served app, an app factory, a clock."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import load_settings
from bot.gateway.breaker import Breaker
from bot.gateway.ids import QrCodeRef
from bot.gateway.protocol import utc_now
from bot.i18n import ENGLISH, Language
from bot.kit.simulate import (
    DEMO_CHANNEL,
    DEMO_USER,
    interaction_body,
    signed_request,
    slash_command_body,
)
from bot.kit.sink import ResponseSink
from bot.service.audit import AuditLog
from bot.service.guard import Requester
from bot.service.metrics import Metrics
from bot.service.services import Services
from bot.slack.cards.batch import DETAILS_ACTION
from bot.slack.listeners.clicks import Click
from bot.slack.listeners.express import Express
from bot.slack.serving.front_door import FrontDoor
from bot.slack.serving.http_server import Health, HttpServer, create_http_app
from bot.slack.webapi.acks_first import AcksFirst
from bot.slack.webapi.language import Reader, Readers
from bot.store.redis import FleetStore
from bot.wiring import (
    SlackApp,
    build_gateway,
    build_gateways,
    build_services,
    build_slack_app,
    fleet_store,
)
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi
from tests.slack.payloads import button_click

SIGNING_SECRET = "test-signing-secret-0123456789"


SEED_TEXT = "898340149000005 31942002268195125132885377"


WAIT = 5.0  # a bound on waits for what must come, never a measurement


TEST_AUTHORIZATION = AuthorizeResult(
    enterprise_id=None,
    team_id="T0QRINFO01",
    bot_user_id="U0BOT",
    bot_id="B0BOT",
    bot_token=BOT_TOKEN,
)


class Clock:
    """A settable monotonic clock (seconds), for breakers, limits and windows."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class AppFactory:
    """Builds the real app on the test's sandbox and fake Slack; keeps what it built to wait on."""

    def __init__(self, gateway_http: httpx.AsyncClient, slack_api: FakeSlackApi) -> None:
        self._http = gateway_http
        self._slack_api = slack_api
        self.services: list[Services] = []
        self.audit_logs: list[AuditLog] = []
        self.stores: list[FleetStore] = []

    def __call__(self, gateway: Any = None, **values: Any) -> AsyncApp:
        return self.build(gateway, **values)[0]

    def build(self, gateway: Any = None, **options: Any) -> tuple[AsyncApp, Services]:
        """The Bolt app and its services (the options of :meth:`slack_app`)."""
        slack, services = self.slack_app(gateway, **options)
        return slack.bolt, services

    def slack_app(
        self,
        gateway: Any = None,
        *,
        audit: Path | None = None,
        breaker: Breaker | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
        readers: Readers | None = None,
        http: httpx.AsyncClient | None = None,
        **values: Any,
    ) -> tuple[SlackApp, Services]:
        """The app with its express path beside it (what ``serve`` runs), and its services;
        *audit* a file to audit to, *breaker* one with a test clock (the default gateway's),
        *http* the gateways' client (else the test's sandbox, for every URL)."""
        values = {
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self._slack_api.url,
        } | values
        settings = load_settings(**values)
        store = fleet_store(settings)  # with qrinfo_redis_url: a replica sharing Redis
        if store is not None:
            self.stores.append(store)
        http = http or self._http
        client = gateway or build_gateway(settings, http, breaker=breaker, store=store)
        gateways = build_gateways(settings, http, client, store=store)
        log = AuditLog(str(audit)) if audit is not None else None
        if log is not None:
            self.audit_logs.append(log)
        services = build_services(settings, gateways, audit=log, wall_clock=wall_clock, store=store)
        self.services.append(services)
        slack = build_slack_app(
            settings, services, authorization=TEST_AUTHORIZATION, readers=readers
        )
        EXPRESS[slack.bolt] = slack.express
        return slack, services

    async def settled(self) -> None:
        """Every listener's work after its ack is done: whatever it would post, it has posted."""
        for services in self.services:
            assert await services.inflight.drain(WAIT)

    async def close(self) -> None:
        for log in self.audit_logs:
            log.close()
        for store in self.stores:
            await store.aclose()


def sign(body: bytes, *, secret: str = SIGNING_SECRET, stamp: str | None = None) -> dict[str, str]:
    """Slack's two headers for *body*, over its exact bytes (any bytes, UTF-8 or not)."""
    stamp = stamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


async def _ok() -> dict[str, Any]:
    return {"ok": True}


@asynccontextmanager
async def served(
    app: AsyncApp,
    health: Health = _ok,
    *,
    body_seconds: float = 10.0,
    metrics: Metrics | None = None,
    express: Express | None = None,
    acks_first: AcksFirst | None = None,
) -> AsyncIterator[tuple[str, HttpServer]]:
    """*app* behind its front door on a loopback port the server chose: (base URL, server).
    With *metrics*, the door times its acks and /metrics shows them; with *express*, /qrinfo
    takes the express path, as in ``serve``; with *acks_first*, the door tells it of each
    verified request."""
    door = FrontDoor(
        app,
        express=express,
        signing_secret=SIGNING_SECRET,
        language=ENGLISH,
        body_seconds=body_seconds,
        metrics=metrics,
        acks_first=acks_first,
    )
    scrape = metrics.exposition if metrics is not None else Metrics().exposition
    server = HttpServer(create_http_app(door, health, scrape), "127.0.0.1", 0)
    url = await server.start()
    try:
        yield url, server
    finally:
        await server.stop(_ok)


def admitted(body: str, *, mode: str = "http") -> AsyncBoltRequest:
    """*body* as the front door hands it on: read into a dict first (Bolt takes a dict body
    only in Socket Mode, so the mode is set after, as the front door's _admit does)."""
    request = AsyncBoltRequest(body=dict(parse_qsl(body)), mode="socket_mode")
    request.mode = mode
    return request


# The express path beside each app AppFactory built: what `serve` runs for /qrinfo.
EXPRESS: weakref.WeakKeyDictionary[AsyncApp, Express] = weakref.WeakKeyDictionary()


async def run_command(app: AsyncApp, text: str, sink: ResponseSink) -> BoltResponse:
    """A signed /qrinfo with *text*, its response_url pointing at *sink*, taken as `serve`
    takes it over HTTP: by the express path when the app has one (AppFactory's apps do:
    the front door checked the signature), else by Bolt's dispatch. The two are pinned
    to each other in tests/slack/listeners/test_express.py."""
    body = slash_command_body(text, response_url=sink.url())
    express = EXPRESS.get(app)
    if express is None:
        return await app.async_dispatch(signed_request(body, SIGNING_SECRET))
    request = admitted(body)
    assert express.takes(request)  # a test helper's own precondition
    express.start(request)
    return BoltResponse(status=200, body="")


async def ask(app: AsyncApp, sink: ResponseSink, text: str) -> dict[str, Any]:
    """`/qrinfo <text>`, and the first payload it posts to the response_url."""
    await run_command(app, text, sink)
    return (await sink.next(WAIT)).payload


async def click(app: AsyncApp, sink: ResponseSink, action: str, value: str) -> dict[str, Any]:
    """A signed click on button *action* carrying *value*, and the first payload it posts."""
    payload = button_click(action, value, response_url=sink.url())
    await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))
    return (await sink.next(WAIT)).payload


def all_text(payload: dict[str, Any]) -> str:
    """Every text in a payload, for 'does it say X' checks."""
    return json.dumps(payload, ensure_ascii=False)


SEED = QrCodeRef("898340149000005", "31942002268195125132885377")  # the seed page's code


def lookups(services: Services) -> dict[tuple[str, str], float]:
    """Every qrinfo_lookups_total sample that is not zero, by (action, outcome)."""
    found: dict[tuple[str, str], float] = {}
    for family in services.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "qrinfo_lookups_total" and sample.value:
                found[(sample.labels["action"], sample.labels["outcome"])] = sample.value
    return found


def sample(services: Services, name: str, **labels: str) -> float:
    return services.metrics.registry.get_sample_value(name, labels) or 0.0


def detail_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """A batch card's Details buttons, one per code's line."""
    return [
        block["accessory"]
        for block in card["blocks"]
        if block.get("accessory", {}).get("action_id") == DETAILS_ACTION
    ]


def line_of(card: dict[str, Any], qr_code_id: str) -> str:
    """The one line of a batch card that names *qr_code_id*."""
    [line] = [
        block["text"]["text"]
        for block in card["blocks"]
        if "accessory" in block and qr_code_id in block["text"]["text"]
    ]
    return str(line)


def web_client(slack_api: FakeSlackApi) -> AsyncWebClient:
    """A Web API client with the bot's token, calling the fake Slack."""
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack_api.url)


def clicked_as(services: Services, slack_api: FakeSlackApi, language: Language = "en") -> Click:
    """What a button's handler is given: the services, a reader in *language*, a client."""
    readers = Readers(language, lookup=None)
    return Click(services, readers, Reader(language, None), web_client(slack_api))


WHO = Requester("T0QRINFO01", None, DEMO_USER, DEMO_CHANNEL)  # the payloads' clicker


async def comes_at_once(acks_first: AcksFirst) -> bool:
    """Whether a turn taken now comes within one step of the loop (nothing held back);
    a turn still held is cancelled."""
    turn = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    turn.cancel()
    return turn.done() and not turn.cancelled()


HELD_SECONDS = 100.0  # a test clock's burst and quiet time: the real timer never fires


def released_by_hand(clock: Clock) -> AcksFirst:
    """An AcksFirst on *clock* whose holds go only when the test moves the clock by
    HELD_SECONDS and calls ``release_due`` (its own timer would wait 100 real seconds)."""
    return AcksFirst(burst=HELD_SECONDS, quiet=HELD_SECONDS, longest=1000.0, clock=clock)


async def held_then_released(acks_first: AcksFirst, clock: Clock) -> None:
    """A turn taken now is held; once the quiet time has passed, the release lets it go."""
    turn = asyncio.ensure_future(acks_first.turn())
    await asyncio.sleep(0)
    assert len(acks_first) == 1
    clock.now += HELD_SECONDS
    assert acks_first.release_due() == 1
    await turn
