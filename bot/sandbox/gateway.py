"""A strict simulation of the Chinaums gateway's token and query-qrcode-info endpoints.

Transport-free: :meth:`SandboxGateway.handle` takes a method, path, headers and
raw body and returns a status, content type and body. ``server.py`` serves it
over HTTP; ``transport.py`` plugs it into httpx in-process. It verifies with
the same signing functions as the client, and its own tests pin it to the
provider's published vector, so a bug shared by both cannot hide.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.gateway.protocol import MAX_LIVE_TOKENS, QUERY_PATH, TOKEN_PATH, utc_now
from bot.gateway.signing import (
    BODY_TIMESTAMP_FORMAT,
    HEADER_TIMESTAMP_FORMAT,
    TOKEN_SCHEME,
    body_signature,
    body_timestamp,
    parse_beijing,
    parse_body_sig_header,
    signatures_match,
    to_beijing,
    token_signature,
)
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.faults import (
    BAD_GATEWAY_PAGE,
    HANG_SECONDS,
    SLOW_SECONDS,
    FaultConfig,
    FaultInjector,
)
from bot.sandbox.fixtures import Fixtures, load_fixtures

TIMESTAMP_WINDOW = timedelta(minutes=5)
TOKEN_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class GatewayCode:
    """A gateway-level (numeric) failure. The provider leaves these undocumented; ours."""

    code: str
    info: str
    status: int = 412


AUTH_MISSING = GatewayCode(
    "1000", "Authorization缺失或格式错误 (missing or malformed Authorization)"
)
UNKNOWN_APP = GatewayCode("1001", "AppId不存在 (unknown appId)")
BAD_SIGNATURE = GatewayCode("1002", "签名验证失败 (signature mismatch)")
BAD_TIMESTAMP = GatewayCode("1003", "时间戳超出允许范围 (timestamp outside the window)")
REPLAYED_NONCE = GatewayCode("1004", "Nonce重复使用 (nonce replayed)")
BAD_TOKEN = GatewayCode("1005", "AccessToken无效或已过期 (token invalid or expired)", status=401)
TOO_MANY_TOKENS = GatewayCode("1006", "AccessToken数量超过上限 (more than 10 live tokens)")


@dataclass(frozen=True, slots=True)
class SandboxResponse:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def _json(status: int, data: Mapping[str, Any]) -> SandboxResponse:
    return SandboxResponse(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def _gateway_error(error: GatewayCode) -> SandboxResponse:
    return _json(error.status, {"errCode": error.code, "errInfo": error.info})


def _business(code: str, message: str, **echo: Any) -> SandboxResponse:
    return _json(200, {"errCode": code, "errMsg": message} | {k: v for k, v in echo.items() if v})


class _Reject(Exception):
    def __init__(self, response: SandboxResponse) -> None:
        self.response = response


class SandboxGateway:
    """The gateway's behaviour and state: known apps, seen nonces, live tokens, fixtures, faults."""

    def __init__(
        self,
        *,
        apps: Mapping[str, str] | None = None,
        fixtures: Fixtures | None = None,
        faults: FaultConfig | None = None,
        wall_clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._apps = dict(apps) if apps is not None else {SANDBOX_APP_ID: SANDBOX_APP_KEY}
        self.fixtures = fixtures if fixtures is not None else load_fixtures()
        self.faults = FaultInjector(faults or FaultConfig(), by_code=dict(self.fixtures.faults))
        self._wall_clock = wall_clock
        self._nonces: dict[tuple[str, str], datetime] = {}
        self._pruned_at = wall_clock()
        self._tokens: dict[str, tuple[str, datetime]] = {}  # token -> (appId, expiry)
        self.token_requests = 0
        self.query_requests = 0
        self.asked: Counter[str] = Counter()  # authenticated queries, by qrCodeId
        self.in_flight = 0  # queries being answered now, and the most there ever were
        self.peak_in_flight = 0
        # Cleared by hold(): queries wait, as on a stalled gateway.
        self._answering = asyncio.Event()
        self._answering.set()

    def live_tokens(self) -> list[str]:
        """The access tokens issued and not yet expired (tests look for them in logs)."""
        now = self._wall_clock()
        return [token for token, (_, expiry) in self._tokens.items() if expiry > now]

    def revoke_tokens(self) -> None:
        """Every access token issued so far is rejected from now on (as after a key rotation)."""
        self._tokens.clear()

    def hold(self) -> None:
        """Queries arriving from now on wait (counted in flight) until :meth:`release`."""
        self._answering.clear()

    def release(self) -> None:
        """Answer the held queries, and the next ones at once."""
        self._answering.set()

    def set_faults(self, faults: FaultConfig) -> None:
        """Change the per-run faults from now on (latency, error rates); per-code faults stay."""
        self.faults = FaultInjector(faults, by_code=dict(self.fixtures.faults))

    def __repr__(self) -> str:
        return f"<SandboxGateway apps={list(self._apps)} codes={len(self.fixtures.codes)}>"

    async def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        """Answer one HTTP request as the real gateway would."""
        path = path.rstrip("/")
        if path not in (QUERY_PATH, TOKEN_PATH):
            return _json(404, {"errCode": "NO_SERVICE", "errMsg": f"没有此服务: {path}"})
        if method.upper() != "POST":
            return _json(405, {"errCode": "NO_SERVICE", "errMsg": "只支持POST"})
        try:
            if path == TOKEN_PATH:
                return self._issue_token(body)
            return await self._query(headers, body)
        except _Reject as rejection:
            return rejection.response

    # --- tokens -----------------------------------------------------------------------

    def _issue_token(self, body: bytes) -> SandboxResponse:
        self.token_requests += 1
        data = _parse_json(body)
        if data is None:
            raise _Reject(_gateway_error(AUTH_MISSING))
        app_id, timestamp, nonce, signature = (
            str(data.get(k, "")) for k in ("appId", "timestamp", "nonce", "signature")
        )
        key = self._key_for(app_id)
        self._check_timestamp(timestamp)
        expected = token_signature(app_id=app_id, timestamp=timestamp, nonce=nonce, app_key=key)
        if str(data.get("signMethod", "")).upper() != "SHA256" or not signatures_match(
            expected, signature
        ):
            raise _Reject(_gateway_error(BAD_SIGNATURE))
        self._check_nonce(app_id, nonce)
        now = self._wall_clock()
        live = [
            t for t, (owner, expiry) in self._tokens.items() if owner == app_id and expiry > now
        ]
        self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
        if len(live) >= MAX_LIVE_TOKENS:
            raise _Reject(_gateway_error(TOO_MANY_TOKENS))
        token = secrets.token_hex(16)
        self._tokens[token] = (app_id, now + TOKEN_LIFETIME)
        return _json(
            200,
            {
                "errCode": "0000",
                "errInfo": "正常",
                "accessToken": token,
                "expiresIn": int(TOKEN_LIFETIME.total_seconds()),
            },
        )

    # --- query ------------------------------------------------------------------------

    async def _query(self, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        self.query_requests += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._answer_query(headers, body)
        finally:
            self.in_flight -= 1

    async def _answer_query(self, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        await self._answering.wait()
        self._authenticate(_header(headers, "Authorization"), body)
        data = _parse_json(body)
        qr_code_id = data.get("qrCodeId") if data else None
        self.asked[str(qr_code_id)] += 1
        fault = self.faults.pick(qr_code_id if isinstance(qr_code_id, str) else None)
        await self.faults.delay()
        if fault == "hang":
            await asyncio.sleep(HANG_SECONDS)
        if fault == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        if fault == "5xx":
            return SandboxResponse(502, BAD_GATEWAY_PAGE, "text/html")
        response = self._answer(data)
        if fault == "malformed":
            return SandboxResponse(
                200, response.body[: len(response.body) // 2], response.content_type
            )
        return response

    def _authenticate(self, authorization: str | None, body: bytes) -> None:
        if authorization is None:
            raise _Reject(_gateway_error(AUTH_MISSING))
        if authorization.startswith(TOKEN_SCHEME + " "):
            token = authorization.removeprefix(TOKEN_SCHEME + " ").strip()
            token = token.removeprefix("AccessToken=").strip('"')
            entry = self._tokens.get(token)
            if entry is None or entry[1] <= self._wall_clock():
                raise _Reject(_gateway_error(BAD_TOKEN))
            return
        parts = parse_body_sig_header(authorization)
        if parts is None:
            raise _Reject(_gateway_error(AUTH_MISSING))
        key = self._key_for(parts.app_id)
        self._check_timestamp(parts.timestamp)
        expected = body_signature(
            app_id=parts.app_id,
            app_key=key,
            timestamp=parts.timestamp,
            nonce=parts.nonce,
            body=body,
        )
        if not signatures_match(expected, parts.signature):
            raise _Reject(_gateway_error(BAD_SIGNATURE))
        self._check_nonce(parts.app_id, parts.nonce)

    def _answer(self, data: dict[str, Any] | None) -> SandboxResponse:
        if data is None:
            return _business("BAD_REQUEST", "请求报文不是合法的JSON (body is not a JSON object)")
        echo = {
            "msgId": data.get("msgId"),
            "srcReserve": data.get("srcReserve"),
            "requestTimestamp": data.get("requestTimestamp"),
        }
        problem = self._field_problem(data)
        if problem is not None:
            code, message = problem
            return _business(code, message, **echo)
        mid, qr_code_id = data["mid"], data["qrCodeId"]
        if qr_code_id in self.fixtures.faults:
            entry = self.fixtures.codes[self.fixtures.seed_id]
        else:
            found = self.fixtures.find(qr_code_id)
            if found is None:
                return _business("NO_BILL", "二维码不存在 (no such QR code)", **echo)
            entry = found
            if entry.mid != mid:
                return _business("INVALID_MSGSRC", "消息来源与二维码不一致 (wrong source)", **echo)
        now = self._wall_clock()
        reply = entry.reply_at(now, qr_code_id) | {k: v for k, v in echo.items() if v}
        reply["responseTimestamp"] = body_timestamp(now)
        return _json(200, reply)

    def _field_problem(self, data: dict[str, Any]) -> tuple[str, str] | None:
        stamp = data.get("requestTimestamp")
        if not isinstance(stamp, str):
            return "BAD_REQUEST", "requestTimestamp缺失 (requestTimestamp is missing)"
        try:
            sent = parse_beijing(stamp, BODY_TIMESTAMP_FORMAT)
        except ValueError:
            return "BAD_REQUEST", "requestTimestamp格式错误, 应为yyyy-MM-dd HH:mm:ss"
        if abs(sent - self._wall_clock()) > TIMESTAMP_WINDOW:
            return "ABNORMAL_REQUEST_TIME", "requestTimestamp与服务器时间相差过大 (clock skew)"
        for name, low, high in (("mid", 8, 15), ("qrCodeId", 1, 32)):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                return "BAD_REQUEST", f"{name}缺失 ({name} is missing)"
            if not (low <= len(value) <= high) or not value.isascii() or not value.isalnum():
                return "BAD_REQUEST", f"{name}格式错误 ({name} is malformed)"
        for name, limit in (("msgId", 64), ("srcReserve", 255), ("systemId", 32)):
            value = data.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                return "BAD_REQUEST", f"{name}超长或类型错误 ({name}: a string of at most {limit})"
        return None

    # --- shared checks ----------------------------------------------------------------

    def _key_for(self, app_id: str) -> str:
        key = self._apps.get(app_id)
        if key is None:
            raise _Reject(_gateway_error(UNKNOWN_APP))
        return key

    def _check_timestamp(self, timestamp: str) -> None:
        try:
            sent = parse_beijing(timestamp, HEADER_TIMESTAMP_FORMAT)
        except ValueError:
            raise _Reject(_gateway_error(BAD_TIMESTAMP)) from None
        if abs(sent - to_beijing(self._wall_clock())) > TIMESTAMP_WINDOW:
            raise _Reject(_gateway_error(BAD_TIMESTAMP))

    def _check_nonce(self, app_id: str, nonce: str) -> None:
        if not nonce or len(nonce) > 128:
            raise _Reject(_gateway_error(AUTH_MISSING))
        now = self._wall_clock()
        if now - self._pruned_at > TIMESTAMP_WINDOW:
            # A nonce older than twice the window cannot come back: its timestamp fails first.
            horizon = now - 2 * TIMESTAMP_WINDOW
            self._nonces = {k: seen for k, seen in self._nonces.items() if seen > horizon}
            self._pruned_at = now
        if (app_id, nonce) in self._nonces:
            raise _Reject(_gateway_error(REPLAYED_NONCE))
        self._nonces[(app_id, nonce)] = now


def _parse_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
