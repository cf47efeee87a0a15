"""A strict simulation of the Chinaums gateway's token, query-qrcode-info and bills/query
endpoints.

Transport-free: :meth:`SandboxGateway.handle` takes a method, path, headers and
raw body and returns a status, content type and body. ``server.py`` serves it
over HTTP; ``transport.py`` plugs it into httpx in-process. It verifies with
the same signing functions as the client, and its own tests pin it to the
provider's published vector, so a bug shared by both cannot hide.

``bills/query`` is verified as strictly as ``query-qrcode-info`` (signature or token, the
Beijing requestTimestamp, the body's fields: :mod:`bot.sandbox.bodies`). A bill is found by
(mid, billNo); its billDate, tid and instMid must then be its own, else NO_BILL, as for a
bill that is not there (a wrong date looks like a missing bill). The bills the
fixtures hold are listed in :mod:`bot.sandbox.fixtures`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bot.gateway.protocol import BILLS_PATH, MAX_LIVE_TOKENS, QUERY_PATH, TOKEN_PATH, utc_now
from bot.gateway.signing import (
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
from bot.sandbox.bodies import TIMESTAMP_WINDOW, bills_body_problem, qrcode_body_problem
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.faults import (
    BAD_GATEWAY_PAGE,
    HANG_SECONDS,
    SLOW_SECONDS,
    FaultConfig,
    FaultInjector,
)
from bot.sandbox.fixtures import FixtureBill, Fixtures, load_fixtures
from bot.sandbox.replies import (
    AUTH_MISSING,
    BAD_SIGNATURE,
    BAD_TIMESTAMP,
    BAD_TOKEN,
    REPLAYED_NONCE,
    TOO_MANY_TOKENS,
    UNKNOWN_APP,
    SandboxResponse,
    business,
    gateway_error,
    json_reply,
)

TOKEN_LIFETIME = timedelta(hours=1)


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
        self.faults = FaultInjector(faults or FaultConfig(), by_code=self.fixtures.fault_triggers())
        self._wall_clock = wall_clock
        self._nonces: dict[tuple[str, str], datetime] = {}
        self._pruned_at = wall_clock()
        self._tokens: dict[str, tuple[str, datetime]] = {}  # token -> (appId, expiry)
        self.token_requests = 0
        self.query_requests = 0
        self.asked: Counter[str] = Counter()  # authenticated queries, by qrCodeId
        self.bill_requests = 0  # bills/query requests (query_requests counts the codes')
        self.bills_asked: Counter[str] = Counter()  # authenticated bills/query, by billNo
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
        self.faults = FaultInjector(faults, by_code=self.fixtures.fault_triggers())

    def __repr__(self) -> str:
        return f"<SandboxGateway apps={list(self._apps)} codes={len(self.fixtures.codes)}>"

    async def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        """Answer one HTTP request as the real gateway would."""
        path = path.rstrip("/")
        if path not in (QUERY_PATH, BILLS_PATH, TOKEN_PATH):
            return json_reply(404, {"errCode": "NO_SERVICE", "errMsg": f"没有此服务: {path}"})
        if method.upper() != "POST":
            return json_reply(405, {"errCode": "NO_SERVICE", "errMsg": "只支持POST"})
        try:
            if path == TOKEN_PATH:
                return self._issue_token(body)
            return await self._query(path, headers, body)
        except _Reject as rejection:
            return rejection.response

    # --- tokens -----------------------------------------------------------------------

    def _issue_token(self, body: bytes) -> SandboxResponse:
        self.token_requests += 1
        data = _parse_json(body)
        if data is None:
            raise _Reject(gateway_error(AUTH_MISSING))
        app_id, timestamp, nonce, signature = (
            str(data.get(k, "")) for k in ("appId", "timestamp", "nonce", "signature")
        )
        key = self._key_for(app_id)
        self._check_timestamp(timestamp)
        expected = token_signature(app_id=app_id, timestamp=timestamp, nonce=nonce, app_key=key)
        if str(data.get("signMethod", "")).upper() != "SHA256" or not signatures_match(
            expected, signature
        ):
            raise _Reject(gateway_error(BAD_SIGNATURE))
        self._check_nonce(app_id, nonce)
        now = self._wall_clock()
        live = [
            t for t, (owner, expiry) in self._tokens.items() if owner == app_id and expiry > now
        ]
        self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
        if len(live) >= MAX_LIVE_TOKENS:
            raise _Reject(gateway_error(TOO_MANY_TOKENS))
        token = secrets.token_hex(16)
        self._tokens[token] = (app_id, now + TOKEN_LIFETIME)
        return json_reply(
            200,
            {
                "errCode": "0000",
                "errInfo": "正常",
                "accessToken": token,
                "expiresIn": int(TOKEN_LIFETIME.total_seconds()),
            },
        )

    # --- query ------------------------------------------------------------------------

    async def _query(self, path: str, headers: Mapping[str, str], body: bytes) -> SandboxResponse:
        if path == BILLS_PATH:
            self.bill_requests += 1
        else:
            self.query_requests += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return await self._answer_query(path, headers, body)
        finally:
            self.in_flight -= 1

    async def _answer_query(
        self, path: str, headers: Mapping[str, str], body: bytes
    ) -> SandboxResponse:
        await self._answering.wait()
        self._authenticate(_header(headers, "Authorization"), body)
        data = _parse_json(body)
        if path == BILLS_PATH:
            bill = self._bill_asked(data)
            fault = self.faults.pick(bill.fault_key if bill is not None else None)
        else:
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
        response = self._answer_bill(data) if path == BILLS_PATH else self._answer(data)
        if fault == "malformed":
            return SandboxResponse(
                200, response.body[: len(response.body) // 2], response.content_type
            )
        return response

    def _bill_asked(self, data: dict[str, Any] | None) -> FixtureBill | None:
        """Count the bill asked for; the fixture with its (mid, billNo), if any."""
        if data is None:
            return None
        self.bills_asked[str(data.get("billNo"))] += 1
        return self.fixtures.find_bill(data.get("mid"), data.get("billNo"))

    def _authenticate(self, authorization: str | None, body: bytes) -> None:
        if authorization is None:
            raise _Reject(gateway_error(AUTH_MISSING))
        if authorization.startswith(TOKEN_SCHEME + " "):
            token = authorization.removeprefix(TOKEN_SCHEME + " ").strip()
            token = token.removeprefix("AccessToken=").strip('"')
            entry = self._tokens.get(token)
            if entry is None or entry[1] <= self._wall_clock():
                raise _Reject(gateway_error(BAD_TOKEN))
            return
        parts = parse_body_sig_header(authorization)
        if parts is None:
            raise _Reject(gateway_error(AUTH_MISSING))
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
            raise _Reject(gateway_error(BAD_SIGNATURE))
        self._check_nonce(parts.app_id, parts.nonce)

    def _answer(self, data: dict[str, Any] | None) -> SandboxResponse:
        if data is None:
            return business("BAD_REQUEST", "请求报文不是合法的JSON (body is not a JSON object)")
        echo = {
            "msgId": data.get("msgId"),
            "srcReserve": data.get("srcReserve"),
            "requestTimestamp": data.get("requestTimestamp"),
        }
        problem = qrcode_body_problem(data, self._wall_clock())
        if problem is not None:
            code, message = problem
            return business(code, message, **echo)
        mid, qr_code_id = data["mid"], data["qrCodeId"]
        if qr_code_id in self.fixtures.faults:
            entry = self.fixtures.codes[self.fixtures.seed_id]
        else:
            found = self.fixtures.find(qr_code_id)
            if found is None:
                return business("NO_BILL", "二维码不存在 (no such QR code)", **echo)
            entry = found
            if entry.mid != mid:
                return business("INVALID_MSGSRC", "消息来源与二维码不一致 (wrong source)", **echo)
        now = self._wall_clock()
        reply = entry.reply_at(now, qr_code_id) | {k: v for k, v in echo.items() if v}
        reply["responseTimestamp"] = body_timestamp(now)
        return json_reply(200, reply)

    def _answer_bill(self, data: dict[str, Any] | None) -> SandboxResponse:
        if data is None:
            return business("BAD_REQUEST", "请求报文不是合法的JSON (body is not a JSON object)")
        echo = {"msgId": data.get("msgId"), "srcReserve": data.get("srcReserve")}
        now = self._wall_clock()
        problem = bills_body_problem(data, now)
        if problem is not None:
            return business(problem[0], problem[1], **echo)
        bill = self.fixtures.find_bill(data["mid"], data["billNo"])
        if bill is None or not bill.matches(data):
            return business("NO_BILL", "无法找到指定的账单 (no such bill)", **echo)
        reply = bill.reply() | {k: v for k, v in echo.items() if v}
        reply["responseTimestamp"] = body_timestamp(now)
        return json_reply(200, reply)

    # --- shared checks ----------------------------------------------------------------

    def _key_for(self, app_id: str) -> str:
        key = self._apps.get(app_id)
        if key is None:
            raise _Reject(gateway_error(UNKNOWN_APP))
        return key

    def _check_timestamp(self, timestamp: str) -> None:
        try:
            sent = parse_beijing(timestamp, HEADER_TIMESTAMP_FORMAT)
        except ValueError:
            raise _Reject(gateway_error(BAD_TIMESTAMP)) from None
        if abs(sent - to_beijing(self._wall_clock())) > TIMESTAMP_WINDOW:
            raise _Reject(gateway_error(BAD_TIMESTAMP))

    def _check_nonce(self, app_id: str, nonce: str) -> None:
        if not nonce or len(nonce) > 128:
            raise _Reject(gateway_error(AUTH_MISSING))
        now = self._wall_clock()
        if now - self._pruned_at > TIMESTAMP_WINDOW:
            # A nonce older than twice the window cannot come back: its timestamp fails first.
            horizon = now - 2 * TIMESTAMP_WINDOW
            self._nonces = {k: seen for k, seen in self._nonces.items() if seen > horizon}
            self._pruned_at = now
        if (app_id, nonce) in self._nonces:
            raise _Reject(gateway_error(REPLAYED_NONCE))
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
