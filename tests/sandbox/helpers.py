"""Signed requests for driving the sandbox directly, without the client; a sandbox that
records what reached it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.config import load_settings
from bot.gateway.client import QrCodeClient
from bot.gateway.protocol import BILLS_PATH, QUERY_PATH, TOKEN_PATH
from bot.gateway.signing import (
    body_sig_header,
    body_timestamp,
    header_timestamp,
    new_nonce,
    token_header,
    token_signature,
)
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.replies import SandboxResponse
from bot.wiring import build_gateway

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
SEED_MID = "898340149000005"
SEED_QR = "31942002268195125132885377"
SEED_BILL_NO = "10A31689733046250"


class Clock:
    """A settable clock for the sandbox (and the client, when they must agree)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def client_for(
    url: str, http: httpx.AsyncClient, clock: Clock, auth: str, timeout: float = 2.0
) -> QrCodeClient:
    """The client as the app builds it for the sandbox at *url*, on *clock*."""
    settings = load_settings(
        chinaums_env="sandbox",
        chinaums_base_url=url,
        chinaums_auth=auth,
        chinaums_timeout=timeout,
    )
    return build_gateway(settings, http, wall_clock=clock)


def query_body(**fields: Any) -> bytes:
    data: dict[str, Any] = {
        "requestTimestamp": body_timestamp(NOW),
        "mid": SEED_MID,
        "qrCodeId": SEED_QR,
        "msgId": "test-msg-1",
    } | fields
    data = {k: v for k, v in data.items() if v is not None}
    return json.dumps(data, ensure_ascii=False).encode()


def bills_body(**fields: Any) -> bytes:
    """A bills/query body for the seed's bill (a field given None is left out)."""
    data: dict[str, Any] = {
        "requestTimestamp": body_timestamp(NOW),
        "mid": SEED_MID,
        "tid": "00000001",
        "instMid": "QRPAYDEFAULT",
        "billNo": SEED_BILL_NO,
        "billDate": "2020-02-26",
        "msgId": "test-bill-1",
    } | fields
    data = {k: v for k, v in data.items() if v is not None}
    return json.dumps(data, ensure_ascii=False).encode()


async def signed_query(
    sandbox: SandboxGateway,
    body: bytes | None = None,
    *,
    app_id: str = SANDBOX_APP_ID,
    app_key: str = SANDBOX_APP_KEY,
    at: datetime = NOW,
    timestamp: str | None = None,
    nonce: str | None = None,
    sign_instead: bytes | None = None,
    path: str = QUERY_PATH,
) -> SandboxResponse:
    """Send *body* to *path* with an OPEN-BODY-SIG header (over *sign_instead*, if given)."""
    body = query_body() if body is None else body
    header = body_sig_header(
        app_id=app_id,
        app_key=app_key,
        timestamp=timestamp or header_timestamp(at),
        nonce=nonce or new_nonce(),
        body=body if sign_instead is None else sign_instead,
    )
    return await sandbox.handle("POST", path, {"Authorization": header}, body)


async def token_request(
    sandbox: SandboxGateway,
    *,
    app_id: str = SANDBOX_APP_ID,
    app_key: str = SANDBOX_APP_KEY,
    at: datetime = NOW,
) -> SandboxResponse:
    stamp, nonce = header_timestamp(at), new_nonce()
    body = {
        "appId": app_id,
        "timestamp": stamp,
        "nonce": nonce,
        "signMethod": "SHA256",
        "signature": token_signature(app_id=app_id, timestamp=stamp, nonce=nonce, app_key=app_key),
    }
    return await sandbox.handle("POST", TOKEN_PATH, {}, json.dumps(body).encode())


async def token_query(
    sandbox: SandboxGateway, token: str, body: bytes | None = None, path: str = QUERY_PATH
) -> SandboxResponse:
    body = query_body() if body is None else body
    return await sandbox.handle("POST", path, {"authorization": token_header(token)}, body)


async def signed_bills_query(sandbox: SandboxGateway, body: bytes | None = None) -> SandboxResponse:
    """Send a bills/query *body* (the seed's bill by default), well signed."""
    return await signed_query(sandbox, bills_body() if body is None else body, path=BILLS_PATH)


def reply(response: SandboxResponse) -> dict[str, Any]:
    data = json.loads(response.body)
    assert isinstance(data, dict)
    return data


class RecordingSandbox(SandboxGateway):
    """The sandbox gateway, noting each request's method, path, headers and body."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []

    async def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        self.seen.append((method, path, dict(headers), body))
        return await super().handle(method, path, headers, body)
