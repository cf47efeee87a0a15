"""The async client for ``query-qrcode-info`` and ``bills/query``: body, auth, admission, one
deadline, retries. Both calls take the one path (:meth:`QrCodeClient._call`), so they share
the breaker, the in-flight cap and the token.

One ``httpx.AsyncClient`` per process is passed in (see
:func:`bot.gateway.transport.new_http_client`); the network is one constructor
argument away, so tests inject a transport.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic

import httpx

from bot.fleet_state import FleetBreaker, FleetTokens
from bot.gateway.admission import Admission
from bot.gateway.attempts import Attempts, Retryable, Try
from bot.gateway.auth import KEEP_TOKEN, AccessTokenAuth, BodySigAuth
from bot.gateway.bills import BillInfo, BillRef, BillsQueryRequest
from bot.gateway.breaker import Breaker
from bot.gateway.config import GatewayConfig
from bot.gateway.errors import GatewayError
from bot.gateway.ids import check_mid, check_qr_code_id
from bot.gateway.interpret import Reply, ReplyT, interpret
from bot.gateway.models import QrCodeInfo, QueryQrCodeInfoRequest
from bot.gateway.network import describe_transport_error, gateway_origin
from bot.gateway.on_http1 import Http1Path, Http1Reply
from bot.gateway.protocol import (
    BILLS_PATH,
    JSON_HEADERS,
    QUERY_PATH,
    NonceFactory,
    WallClock,
    new_msg_id,
    utc_now,
)
from bot.gateway.retries import DEFAULT_BACKOFF, Backoff, with_retries
from bot.gateway.signing import body_timestamp, new_nonce
from bot.gateway.tokens import IssuedToken, TokenCache, fetch_token


@dataclass(frozen=True, slots=True)
class _Call(Generic[ReplyT]):
    """One call to one of the gateway's APIs: where, the bytes to sign and send, the model
    its SUCCESS reply is read into, its time budget (seconds), and its bookkeeping."""

    path: str
    body: bytes
    model: type[ReplyT]
    budget: float
    attempts: Attempts

    @property
    def bounded(self) -> bool:
        """The caller gave it less time than the client's own deadline (the payment status
        within what a lookup has left): running out of it says nothing of the gateway."""
        return self.path != QUERY_PATH


class _BudgetSpent(Exception):
    """A bounded call ran out of its caller's time with no attempt failing: abandoned, not a
    gateway failure (the breaker must not count the bot's own short budget)."""


class QrCodeClient:
    """Looks up a QR code's static information. Safe to share across tasks.

    With *on_http1* (the default), a body-signed call goes around httpx where httpx would
    hand it to httpx-aiohttp's transport anyway (:mod:`bot.gateway.on_http1`); False keeps
    every call on httpx (tests and bench/gateway_call.py compare the two).
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        auth: httpx.Auth,
        admission: Admission,
        system_id: str | None = None,
        src_reserve: str | None = None,
        wall_clock: WallClock = utc_now,
        msg_id_factory: Callable[[], str] = new_msg_id,
        backoff: Backoff = DEFAULT_BACKOFF,
        on_http1: bool = True,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self.origin = gateway_origin(self.base_url)  # what messages name
        self._auth = auth
        self.admission = admission
        self.timeout = admission.timeout
        self._system_id = system_id
        self._src_reserve = src_reserve
        self._wall_clock = wall_clock
        self._new_msg_id = msg_id_factory
        self._backoff = backoff
        self._http1_path = (
            Http1Path(http, auth) if on_http1 and isinstance(auth, BodySigAuth) else None
        )

    def __repr__(self) -> str:
        return f"QrCodeClient(base_url={self.base_url!r}, auth={self._auth!r})"

    @property
    def breaker(self) -> Breaker:
        return self.admission.breaker

    @property
    def tokens(self) -> TokenCache | None:
        """The access-token cache in token mode; None with a signature per request."""
        return self._auth.cache if isinstance(self._auth, AccessTokenAuth) else None

    @property
    def auth_scheme(self) -> str:
        return "token" if isinstance(self._auth, AccessTokenAuth) else "body-sig"

    async def query_qrcode_info(
        self,
        mid: str,
        qr_code_id: str,
        *,
        msg_id: str | None = None,
        attempts: Attempts | None = None,
    ) -> QrCodeInfo:
        """The QR code's details, or one of the errors of :mod:`bot.gateway.errors`.

        Input is checked before any I/O. The whole lookup, token and retries
        included, ends within ``timeout`` seconds; admission may refuse it at once
        (breaker open, too many in flight) instead of letting it pile up. Pass
        *attempts* to read afterwards how the call went (tries, the last reply).
        """
        request = QueryQrCodeInfoRequest(
            request_timestamp=body_timestamp(self._wall_clock()),
            mid=check_mid(mid),
            qr_code_id=check_qr_code_id(qr_code_id),
            msg_id=msg_id or self._new_msg_id(),
            src_reserve=self._src_reserve,
            system_id=self._system_id,
        )
        attempts = attempts if attempts is not None else Attempts(msg_id=request.msg_id)
        call = _Call(QUERY_PATH, request.to_bytes(), QrCodeInfo, self.timeout, attempts)
        info = await self._call(call, request.msg_id)
        call.attempts.found(request.mid, request.qr_code_id)
        return info

    async def query_bill(
        self,
        bill: BillRef,
        *,
        msg_id: str | None = None,
        attempts: Attempts | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  # the budget inside the client's own
    ) -> BillInfo:
        """The payment status of *bill* (``bills/query``), or one of the errors of
        :mod:`bot.gateway.errors` (NO_BILL, a GatewayRejected, for a bill that is not there).

        As :meth:`query_qrcode_info`: the same admission, auth, retries and errors. It ends
        within *timeout* seconds, never later than the client's own ``timeout``.
        """
        request = BillsQueryRequest(
            request_timestamp=body_timestamp(self._wall_clock()),
            mid=bill.mid,
            tid=bill.tid,
            inst_mid=bill.inst_mid,
            bill_no=bill.bill_no,
            bill_date=bill.bill_date.isoformat(),
            msg_id=msg_id or self._new_msg_id(),
            src_reserve=self._src_reserve,
        )
        budget = self.timeout if timeout is None else min(timeout, self.timeout)
        attempts = attempts if attempts is not None else Attempts(msg_id=request.msg_id)
        call = _Call(BILLS_PATH, request.to_bytes(), BillInfo, budget, attempts)
        info = await self._call(call, request.msg_id)
        call.attempts.bill_found(request.mid, request.bill_no, info.bill_status)
        return info

    async def _call(self, call: _Call[ReplyT], msg_id: str | None) -> ReplyT:
        """*call* through admission, within its budget, its outcome noted in its attempts."""
        call.attempts.msg_id = msg_id
        try:
            async with self.admission.call(msg_id, wait=call.budget):
                return await self._within_deadline(call)
        except _BudgetSpent:
            error = call.attempts.unavailable(
                f"no answer from the gateway at {self.origin} within {call.budget:g} s"
            )
            call.attempts.failed(error)
            raise error from None
        except GatewayError as error:
            call.attempts.failed(error)
            raise

    async def _within_deadline(self, call: _Call[ReplyT]) -> ReplyT:
        attempts = call.attempts
        try:
            async with asyncio.timeout(call.budget - attempts.elapsed):
                return await with_retries(lambda: self._attempt(call), self._backoff)
        except TimeoutError:
            if call.bounded and attempts.last_reason is None:
                raise _BudgetSpent from None
            # The last failed attempt says what is wrong; attempts and time follow in
            # the error. Only when none ended before the deadline is it a timeout.
            reason = (
                attempts.last_reason
                or f"no answer from the gateway at {self.origin} within {call.budget:g} s"
            )
            raise attempts.unavailable(reason) from None
        except Retryable as exc:  # the attempts ran out first (only in stamina's test mode)
            raise attempts.unavailable(exc.reason) from None

    async def _attempt(self, call: _Call[ReplyT]) -> ReplyT:
        """One attempt, noted in the call's attempts however it ends."""
        attempts = call.attempts
        attempts.count += 1
        started = time.monotonic()
        status: int | None = None
        failed: str | None = None
        try:
            response = await self._post(call)
            status = response.status_code
            return interpret(response, attempts, origin=self.origin, model=call.model)
        except Retryable as failure:
            attempts.failed_attempt(failure)
            failed = failure.reason
            raise
        except GatewayError as error:
            failed = str(error)
            raise
        except asyncio.CancelledError:
            failed = "cancelled before an answer (the lookup's deadline, or a shutdown)"
            raise
        finally:
            attempts.tries.append(Try(status, (time.monotonic() - started) * 1000, failed))

    async def _post(self, call: _Call[ReplyT]) -> Reply:
        remaining = call.budget - call.attempts.elapsed
        # One attempt may use at most half the budget, so a hung connection
        # leaves time for a second try.
        attempt_timeout = max(0.05, min(remaining, max(call.budget / 2, 1.0)))
        try:
            return await self._send(call, attempt_timeout)
        except httpx.TransportError as exc:
            reason = describe_transport_error(exc, origin=self.origin, timeout=attempt_timeout)
            raise Retryable(reason) from None
        except httpx.DecodingError:  # a Content-Encoding its body does not keep to
            raise Retryable(
                f"the gateway at {self.origin} sent a reply that cannot be decoded"
            ) from None

    async def _send(self, call: _Call[ReplyT], seconds: float) -> httpx.Response | Http1Reply:
        """One POST of *call*, within *seconds*: around httpx where :mod:`bot.gateway.on_http1`
        may take it."""
        url = self.base_url + call.path
        path = self._http1_path
        way = path.way_for(url) if path is not None else None
        if path is not None and way is not None:
            return await path.post(way, call.body, seconds=seconds)
        return await self._http.post(
            url,
            content=call.body,
            headers=JSON_HEADERS,
            auth=self._auth,
            timeout=seconds,
            # The QR call just used this token: a refusal of another API is that API's
            # (an appId it is not opened to), never a reason to spend a new token.
            extensions={KEEP_TOKEN: True} if call.bounded else {},
        )


def create_client(
    config: GatewayConfig,
    http: httpx.AsyncClient,
    *,
    wall_clock: WallClock = utc_now,
    nonce: NonceFactory = new_nonce,
    breaker: Breaker | None = None,
    fleet_breaker: FleetBreaker | None = None,
    fleet_tokens: FleetTokens | None = None,
    on_http1: bool = True,
) -> QrCodeClient:
    """The client *config* describes, on the process's shared *http* client.

    *breaker* replaces the one the config describes (tests pass one with their clock).
    With replicas sharing a store, *fleet_breaker* and *fleet_tokens* make the breaker and
    the access token the fleet's (the wiring makes them; a gateway beside the default one
    has its own). *on_http1* as :class:`QrCodeClient` takes it.
    """
    breaker = breaker or Breaker(
        failures=config.breaker_failures, cooldown=config.breaker_cooldown, wall_clock=wall_clock
    )
    return QrCodeClient(
        http=http,
        base_url=config.base_url,
        auth=_auth(config, http, wall_clock=wall_clock, nonce=nonce, fleet=fleet_tokens),
        admission=Admission(
            max_in_flight=config.max_in_flight,
            timeout=config.timeout,
            breaker=breaker,
            fleet=fleet_breaker,
        ),
        system_id=config.system_id,
        src_reserve=config.src_reserve,
        wall_clock=wall_clock,
        on_http1=on_http1,
    )


def _auth(
    config: GatewayConfig,
    http: httpx.AsyncClient,
    *,
    wall_clock: WallClock,
    nonce: NonceFactory,
    fleet: FleetTokens | None,
) -> httpx.Auth:
    """The Authorization scheme *config* names: a signature per request, or a cached token."""
    if config.auth == "body-sig":
        return BodySigAuth(
            app_id=config.app_id, app_key=config.app_key, wall_clock=wall_clock, nonce=nonce
        )

    async def fetch() -> IssuedToken:
        return await fetch_token(
            http,
            base_url=config.base_url,
            app_id=config.app_id,
            app_key=config.app_key,
            wall_clock=wall_clock,
            nonce=nonce,
            request_timeout=config.timeout,
        )

    return AccessTokenAuth(TokenCache(fetch, fleet=fleet))
