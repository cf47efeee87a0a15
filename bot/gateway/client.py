"""The async client for ``query-qrcode-info``: body, auth, one deadline, retries.

One ``httpx.AsyncClient`` per process is passed in (see :func:`new_http_client`);
the network is one constructor argument away, so tests inject a transport.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import httpx
import stamina
from httpx_aiohttp import HttpxAiohttpClient
from pydantic import SecretStr, ValidationError

from bot.config import Settings
from bot.gateway.auth import AccessTokenAuth, BodySigAuth, Clock, NonceFactory
from bot.gateway.breaker import CircuitBreaker
from bot.gateway.errors import (
    AUTH_CODES,
    TRANSIENT_CODES,
    GatewayAuthError,
    GatewayBusy,
    GatewayCircuitOpen,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    TokenLimitReached,
    is_token_limit,
)
from bot.gateway.ids import check_mid, check_qr_code_id
from bot.gateway.models import QrCodeInfo, QueryQrCodeInfoRequest
from bot.gateway.network import describe_transport_error, gateway_origin
from bot.gateway.signing import body_timestamp, header_timestamp, new_nonce, token_signature
from bot.gateway.tokens import IssuedToken, TokenCache

log = logging.getLogger(__name__)

# stamina's default instrumentation logs every scheduled retry at WARNING
# ("stamina.retry_scheduled", no msgId, no reason): one more warning per retry
# of a lookup that will fail anyway. This client logs each failed attempt
# itself (INFO, with msgId and the real reason) and a failed lookup once, so
# the hook has nothing to add. The hooks are process-wide; this module is the
# project's only user of stamina. (Passing none also drops the Prometheus and
# structlog hooks stamina would add if those packages were installed: they are not.)
stamina.instrumentation.set_on_retry_hooks(())

QUERY_PATH = "/v1/netpay/bills/query-qrcode-info"
TOKEN_PATH = "/v1/token/access"  # noqa: S105  # a URL path, not a password
USER_AGENT = "qrinfo/0.1"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_msg_id() -> str:
    """A unique msgId (35 of the 64 characters allowed): the gateway echoes it; we log it."""
    return "qri" + uuid.uuid4().hex


def new_http_client(
    transport: httpx.AsyncBaseTransport | None = None, *, max_connections: int = 100
) -> httpx.AsyncClient:
    """The process's one HTTP client.

    In production it rides on aiohttp (httpx-aiohttp): with httpx's default
    transport, 50 concurrent requests on a 2-core machine ran about ten times
    slower. Tests pass a *transport* (or use respx, which intercepts either).
    """
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    common: dict[str, Any] = {"headers": {"User-Agent": USER_AGENT}, "follow_redirects": False}
    if transport is not None:
        return httpx.AsyncClient(transport=transport, **common)
    return HttpxAiohttpClient(limits=limits, **common)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Jittered exponential backoff between attempts, all inside the lookup's deadline."""

    initial: float = 0.1
    maximum: float = 1.0
    jitter: float = 0.2


class _Retryable(Exception):
    """An attempt failed in a way another attempt may fix. Internal to this module."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class QrCodeClient:
    """Looks up a QR code's static information. Safe to share across tasks."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str,
        auth: httpx.Auth,
        timeout: float = 8.0,
        system_id: str | None = None,
        src_reserve: str | None = None,
        clock: Clock = utc_now,
        msg_id_factory: Callable[[], str] = new_msg_id,
        backoff: Backoff = Backoff(),
        max_in_flight: int = 512,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self.origin = gateway_origin(self.base_url)  # what messages name
        self._auth = auth
        self.timeout = timeout
        self._system_id = system_id
        self._src_reserve = src_reserve
        self._clock = clock
        self._new_msg_id = msg_id_factory
        self._backoff = backoff
        self.max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(max_in_flight)
        self.in_flight = 0
        self.peak_in_flight = 0
        self.waiting = 0  # lookups queued for a slot now
        self.breaker = breaker or CircuitBreaker(wall=clock)
        self._slot_seconds = 0.0  # moving average of a slot's hold time; 0 until measured

    def __repr__(self) -> str:
        return f"QrCodeClient(base_url={self.base_url!r}, auth={self._auth!r})"

    @property
    def token_cache(self) -> TokenCache | None:
        """The access-token cache in token mode, else None."""
        return self._auth.cache if isinstance(self._auth, AccessTokenAuth) else None

    async def query_qrcode_info(
        self, mid: str, qr_code_id: str, *, msg_id: str | None = None
    ) -> QrCodeInfo:
        """The QR code's details, or one of the errors of :mod:`bot.gateway.errors`.

        Input is checked before any I/O. The whole lookup, token and retries
        included, ends within ``timeout`` seconds. At most ``max_in_flight``
        lookups talk to the gateway at once; one that finds no free slot within
        half its deadline ends at once with GatewayBusy instead of piling up.
        """
        request = QueryQrCodeInfoRequest(
            request_timestamp=body_timestamp(self._clock()),
            mid=check_mid(mid),
            qr_code_id=check_qr_code_id(qr_code_id),
            msg_id=msg_id or self._new_msg_id(),
            src_reserve=self._src_reserve,
            system_id=self._system_id,
        )
        lookup = _Lookup(msg_id=request.msg_id, started=time.monotonic())
        body = request.to_bytes()
        if not self.breaker.admit():
            snapshot = self.breaker.snapshot()
            lookup.fail(
                GatewayCircuitOpen(
                    failing_since=snapshot.failing_since,
                    retry_in=snapshot.retry_in,
                    msg_id=lookup.msg_id,
                )
            )
        try:
            await self._take_slot(lookup)
        except BaseException:  # busy or cancelled: a half-open trial must not stay claimed
            self.breaker.abandoned()
            raise
        call_started = time.monotonic()
        verdict: bool | None = None  # for the breaker: did the gateway answer?
        try:
            async with asyncio.timeout(self.timeout - lookup.elapsed):
                info = await self._with_retries(body, lookup)
            verdict = True
        except TimeoutError:
            verdict = False
            # The last failed attempt says what is wrong; attempts and time follow
            # in the error. Only when none ended before the deadline is it a timeout.
            reason = (
                lookup.last_reason
                or f"no answer from the gateway at {self.origin} within {self.timeout:g} s"
            )
            lookup.fail(lookup.unavailable(reason))
        except _Retryable as exc:  # the attempts ran out before the deadline (stamina's test mode)
            verdict = False
            lookup.fail(lookup.unavailable(exc.reason))
        except GatewayUnavailable:
            verdict = False
            raise
        except GatewayError:
            verdict = True  # a definite answer, even a refusal, means the gateway is up
            raise
        finally:
            self._record(verdict)
            self._release_slot()
            # A moving average of how long a slot is held, to predict queue waits.
            held = time.monotonic() - call_started
            self._slot_seconds += (0.1 if self._slot_seconds else 1.0) * (held - self._slot_seconds)
        log.info(
            "lookup found mid=%s qrCodeId=%s msgId=%s attempts=%d elapsed_ms=%.0f",
            request.mid,
            request.qr_code_id,
            lookup.msg_id,
            lookup.attempts,
            lookup.elapsed * 1000,
        )
        return info

    def _record(self, answered: bool | None) -> None:
        if answered is True:
            self.breaker.succeeded()
        elif answered is False:
            self.breaker.failed()
        else:
            self.breaker.abandoned()

    def _release_slot(self) -> None:
        self.in_flight -= 1
        self._slots.release()

    async def _take_slot(self, lookup: _Lookup) -> None:
        """Wait for one of the max_in_flight slots, at most half the deadline.

        When the queue ahead is so long that the lookup predictably cannot end
        within its deadline (waves of max_in_flight lookups ahead, each about
        as long as recent ones, then its own), say busy at once instead.
        """
        bound = self.timeout / 2
        if self._slots.locked():
            waves = self.waiting // self.max_in_flight + 2  # those ahead, then ours
            if waves * self._slot_seconds > self.timeout:
                lookup.fail(GatewayBusy(limit=self.max_in_flight, waited=0.0, msg_id=lookup.msg_id))
        self.waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), bound)
        except TimeoutError:
            lookup.fail(GatewayBusy(limit=self.max_in_flight, waited=bound, msg_id=lookup.msg_id))
        finally:
            self.waiting -= 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def _with_retries(self, body: bytes, lookup: _Lookup) -> QrCodeInfo:
        retrying = stamina.retry_context(
            on=_Retryable,
            attempts=None,  # the deadline around us decides when to stop
            timeout=None,
            wait_initial=self._backoff.initial,
            wait_max=self._backoff.maximum,
            wait_jitter=self._backoff.jitter,
        )
        async for attempt in retrying:
            with attempt:
                lookup.attempts += 1
                try:
                    response = await self._post(body, lookup)
                    return self._interpret(response, lookup)
                except _Retryable as exc:
                    lookup.last_reason = exc.reason
                    log.info(
                        "lookup attempt %d failed msgId=%s: %s",
                        lookup.attempts,
                        lookup.msg_id,
                        exc.reason,
                    )
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    async def _post(self, body: bytes, lookup: _Lookup) -> httpx.Response:
        remaining = self.timeout - lookup.elapsed
        # One attempt may use at most half the budget, so a hung connection
        # leaves time for a second try.
        attempt_timeout = max(0.05, min(remaining, max(self.timeout / 2, 1.0)))
        try:
            return await self._http.post(
                self.base_url + QUERY_PATH,
                content=body,
                headers=JSON_HEADERS,
                auth=self._auth,
                timeout=attempt_timeout,
            )
        except httpx.TransportError as exc:
            reason = describe_transport_error(exc, origin=self.origin, timeout=attempt_timeout)
            raise _Retryable(reason) from None
        except GatewayAuthError as exc:  # token mode: the token request was refused
            lookup.fail(exc)

    def _interpret(self, response: httpx.Response, lookup: _Lookup) -> QrCodeInfo:
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status} from the gateway at {self.origin}")
        data = _json_object(response)
        code = data.get("errCode") if data is not None else None
        if data is None or not isinstance(code, str | int) or isinstance(code, bool):
            if 400 <= status < 500:
                lookup.fail(
                    GatewayAuthError(
                        code=None, message=None, http_status=status, msg_id=lookup.msg_id
                    )
                )
            raise _Retryable(_describe_garbled(response, data))
        code = str(code)
        message = _text(data.get("errMsg")) or _text(data.get("errInfo"))
        if code.isdigit() or code in AUTH_CODES or status in (401, 403, 412):
            lookup.fail(
                GatewayAuthError(
                    code=code, message=message, http_status=status, msg_id=lookup.msg_id
                )
            )
        if code in TRANSIENT_CODES:
            raise _Retryable(f"gateway busy ({code})")
        if code != "SUCCESS":
            lookup.fail(GatewayRejected(code=code, message=message, msg_id=lookup.msg_id))
        try:
            return QrCodeInfo.model_validate(data)
        except ValidationError as exc:
            lookup.fail(lookup.unavailable(_describe_invalid(exc)))


@dataclass(slots=True)
class _Lookup:
    """Bookkeeping for one lookup: its id, attempts and clock."""

    msg_id: str | None
    started: float
    attempts: int = 0
    last_reason: str | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def unavailable(self, reason: str) -> GatewayUnavailable:
        return GatewayUnavailable(
            reason=reason, attempts=max(self.attempts, 1), elapsed=self.elapsed, msg_id=self.msg_id
        )

    def fail(self, error: GatewayError) -> NoReturn:
        """Log the outcome, once, and raise *error*.

        Only an unavailable gateway is a WARNING: a business answer is the
        user's to read, and an auth error is logged by whoever shows it.
        """
        if isinstance(error, GatewayUnavailable):
            level, what = logging.WARNING, error.reason
        else:
            level, what = logging.INFO, str(error)
        log.log(
            level,
            "lookup failed msgId=%s attempts=%d elapsed_ms=%.0f: %s",
            self.msg_id,
            self.attempts,
            self.elapsed * 1000,
            what,
        )
        raise error


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _describe_garbled(response: httpx.Response, data: dict[str, Any] | None) -> str:
    if data is not None:
        return f"HTTP {response.status_code} reply without an errCode"
    content_type = response.headers.get("content-type", "no content type")
    snippet = response.content[:60].decode("utf-8", "replace").strip()
    kind = "HTML" if "html" in content_type or snippet.lower().startswith("<") else "not JSON"
    return (
        f"HTTP {response.status_code} reply is {kind} "
        f"({len(response.content)} bytes, {content_type}): {snippet!r}"
    )


def _describe_invalid(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "reply"
    return f"the gateway's reply has an unreadable field {where}: {first['msg']}"


async def fetch_token(
    http: httpx.AsyncClient,
    *,
    base_url: str,
    app_id: str,
    app_key: SecretStr,
    clock: Clock = utc_now,
    nonce: NonceFactory = new_nonce,
    request_timeout: float = 8.0,
) -> IssuedToken:
    """Ask ``/v1/token/access`` for an access token. The appKey itself is never sent."""
    origin = gateway_origin(base_url)
    timestamp = header_timestamp(clock())
    once = nonce()
    payload = {
        "appId": app_id,
        "timestamp": timestamp,
        "nonce": once,
        "signMethod": "SHA256",
        "signature": token_signature(
            app_id=app_id, timestamp=timestamp, nonce=once, app_key=app_key.get_secret_value()
        ),
    }
    try:
        response = await http.post(
            base_url.rstrip("/") + TOKEN_PATH,
            content=json.dumps(payload, separators=(",", ":")).encode("utf-8"),
            headers=JSON_HEADERS,
            timeout=request_timeout,
        )
    except httpx.TransportError as exc:
        reason = describe_transport_error(exc, origin=origin, timeout=request_timeout)
        raise _Retryable(f"token request: {reason}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise _Retryable(f"token request: HTTP {response.status_code} from the gateway at {origin}")
    data = _json_object(response) or {}
    token, expires_in = data.get("accessToken"), data.get("expiresIn", 3600)
    if str(data.get("errCode")) == "0000" and isinstance(token, str) and token:
        try:
            lifetime = float(expires_in)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return IssuedToken(value=token, expires_in=lifetime)
    info = _text(data.get("errInfo"))
    code = str(data["errCode"]) if "errCode" in data else None
    if is_token_limit(info):
        raise TokenLimitReached(code=code, gateway_message=info, http_status=response.status_code)
    raise GatewayAuthError(
        code=code,
        message="token request refused" + (f": {info}" if info else ""),
        http_status=response.status_code,
        msg_id=None,
    )


def create_client(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    base_url: str | None = None,
    clock: Clock = utc_now,
    nonce: NonceFactory = new_nonce,
    breaker: CircuitBreaker | None = None,
) -> QrCodeClient:
    """The client the settings describe, on the process's shared *http* client.

    *breaker* replaces the one the settings describe (tests pass one with their clock).
    """
    url = base_url or settings.gateway_url
    auth: httpx.Auth
    if settings.chinaums_auth == "token":

        async def fetch() -> IssuedToken:
            return await fetch_token(
                http,
                base_url=url,
                app_id=settings.app_id,
                app_key=settings.app_key,
                clock=clock,
                nonce=nonce,
                request_timeout=settings.chinaums_timeout,
            )

        auth = AccessTokenAuth(TokenCache(fetch))
    else:
        auth = BodySigAuth(
            app_id=settings.app_id, app_key=settings.app_key, clock=clock, nonce=nonce
        )
    return QrCodeClient(
        http=http,
        base_url=url,
        auth=auth,
        timeout=settings.chinaums_timeout,
        system_id=settings.chinaums_system_id,
        src_reserve=settings.chinaums_src_reserve,
        clock=clock,
        max_in_flight=settings.chinaums_max_in_flight,
        breaker=breaker
        or CircuitBreaker(
            failures=settings.qrinfo_breaker_failures,
            cooldown=settings.qrinfo_breaker_cooldown,
            wall=clock,
        ),
    )
