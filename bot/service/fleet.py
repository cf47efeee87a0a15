"""Identical lookups joined across replicas, in Redis: one gateway call for the fleet.

The replica that claims a lookup (SET NX, with an expiry a little past the
gateway's deadline) calls the gateway and publishes the answer for the others,
which wait for it instead of calling. The rules are the process's own: every
waiter gets the call's answer, failures included, but only a definite answer
(found, or a gateway code) is kept for the coalescing window; Refresh and Share
never take a kept answer. A waiter whose claimer dies mid-call (its claim
expires with no answer) makes its own call; without Redis each replica shares
only within itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.fleet_state import Lost
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
    TokenLimitReached,
)
from bot.gateway.models import QrCodeInfo
from bot.service.coalescing import Joined
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis

# KEYS: the claim, the answer. Claim the call (with an expiry); only then drop an old answer,
# so that the new call's waiters never take it.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
"""
log = logging.getLogger(__name__)
POLL_SECONDS = 0.02  # how often a waiting replica looks for the answer
# How much longer than the gateway's deadline a replica waits for another's answer; after
# that it calls the gateway itself (so one lookup may take twice the deadline, plus this).
WAIT_MARGIN_SECONDS = 2.0
ANSWER_SECONDS = 30.0  # how long a published answer stays for the waiters

T = TypeVar("T")


class FleetCalls(Generic[T]):
    """One gateway call per identical lookup across every replica sharing the store."""

    def __init__(
        self,
        store: FleetStore,
        *,
        window: float,
        deadline: float,
        keep: Callable[[T], bool],
        encode: Callable[[T], dict[str, Any]],
        decode: Callable[[dict[str, Any]], T],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.window = window  # seconds a definite answer is kept
        self._deadline = deadline  # the gateway call's own, plus a moment
        self._keep = keep
        self._encode = encode
        self._make = decode
        self._clock = clock
        self._owner = uuid.uuid4().hex
        self._warned = False
        self._claim_script = store.redis.register_script(_CLAIM)

    async def run(
        self, key: tuple[str, ...], call: Callable[[], Awaitable[T]], *, reuse: bool
    ) -> Joined[T] | None:
        """The fleet's answer for *key*; None when Redis cannot help (call locally)."""
        name = ":".join(key)
        claim, answer = self._store.key("call", name), self._store.key("answer", name)
        kept = self._store.key("kept", name)
        if reuse:
            found = await self._get(kept)
            if isinstance(found, Lost):
                return None
            kept_answer = self._decoded(found) if found is not None else None
            if kept_answer is not None:
                return Joined(kept_answer, reused=True)
        until = self._clock() + self._deadline
        while self._clock() < until:
            claimed = await self._claim(claim, answer)
            if isinstance(claimed, Lost):
                return None
            if claimed:
                return Joined(await self._call_for_fleet(call, claim, answer, kept), reused=False)
            waited = await self._wait(claim, answer, until)
            if isinstance(waited, Lost):
                return None
            if waited is not None:
                answer_now = self._decoded(waited)
                return Joined(answer_now, reused=False) if answer_now is not None else None
            # The claimer is gone without an answer: claim it ourselves.
        return None

    def _decoded(self, data: dict[str, Any]) -> T | None:
        """An answer from Redis; None (and one WARNING) when this version cannot read it."""
        try:
            return self._make(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            if not self._warned:
                self._warned = True
                log.warning("an answer in Redis this version cannot read (%r); ignored", exc)
            return None

    async def _claim(self, claim: str, answer: str) -> bool | Lost:
        async def call(redis: Redis) -> bool:
            px = max(1, int(self._deadline * 1000))
            return bool(await self._claim_script(keys=[claim, answer], args=[self._owner, px]))

        return await self._store.run("claiming a gateway call", call)

    async def _call_for_fleet(
        self, call: Callable[[], Awaitable[T]], claim: str, answer: str, kept: str
    ) -> T:
        try:
            result = await call()
        except BaseException:
            await self._store.run("releasing a gateway call", lambda r: r.delete(claim))
            raise
        body = json.dumps(self._encode(result))

        async def publish(redis: Redis) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.set(answer, body, px=int(ANSWER_SECONDS * 1000))
                if self.window > 0 and self._keep(result):
                    pipe.set(kept, body, px=max(1, int(self.window * 1000)))
                else:
                    pipe.delete(kept)  # a newer failure replaces an older answer
                pipe.delete(claim)
                await pipe.execute()

        await self._store.run("publishing a gateway answer", publish)
        return result

    async def _wait(self, claim: str, answer: str, until: float) -> dict[str, Any] | Lost | None:
        """The claimer's answer; None when its claim is gone without one."""

        async def look(redis: Redis) -> tuple[str | None, int]:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.get(answer)
                pipe.exists(claim)
                raw, claimed = await pipe.execute()
            return raw, int(claimed)

        while self._clock() < until:
            seen = await self._store.run("waiting for another replica's answer", look)
            if isinstance(seen, Lost):
                return seen
            raw, claimed = seen
            if raw is not None:
                return dict(json.loads(raw))
            if not claimed:
                return None
            await asyncio.sleep(POLL_SECONDS)
        return None

    async def _get(self, key: str) -> dict[str, Any] | Lost | None:
        async def call(redis: Redis) -> dict[str, Any] | None:
            raw = await redis.get(key)
            return dict(json.loads(raw)) if raw is not None else None

        return await self._store.run("reading a kept answer", call)


def encode_result(result: QrCodeInfo | QrInfoError) -> dict[str, Any]:
    if isinstance(result, QrCodeInfo):
        return {"kind": "found", "info": result.model_dump(mode="json", by_alias=True)}
    msg_id = getattr(result, "msg_id", None)
    if isinstance(result, GatewayRejected):
        return {"kind": "rejected", "code": result.code, "message": result.gateway_message,
                "msg_id": msg_id}  # fmt: skip
    if isinstance(result, GatewayBusy):
        return {"kind": "busy", "limit": result.limit, "waited": result.elapsed, "msg_id": msg_id}
    if isinstance(result, GatewayBreakerOpen):
        since = result.failing_since.isoformat() if result.failing_since else None
        return {"kind": "paused", "failing_since": since, "retry_in": result.retry_in,
                "msg_id": msg_id}  # fmt: skip
    if isinstance(result, GatewayUnavailable):
        return {"kind": "unavailable", "reason": result.reason, "attempts": result.attempts,
                "elapsed": result.elapsed, "msg_id": msg_id}  # fmt: skip
    if isinstance(result, TokenLimitReached):
        return {"kind": "token-limit", "code": result.code, "http_status": result.http_status}
    if isinstance(result, GatewayAuthError):
        return {"kind": "misconfigured", "code": result.code,
                "message": result.gateway_message, "http_status": result.http_status,
                "msg_id": msg_id}  # fmt: skip
    assert isinstance(result, InvalidInput)  # noqa: S101  # the last kind an answer holds
    return {"kind": "invalid", "field": result.field, "expected": result.expected,
            "example": result.example}  # fmt: skip


def decode_result(data: dict[str, Any]) -> QrCodeInfo | QrInfoError:
    kind, msg_id = data["kind"], data.get("msg_id")
    if kind == "found":
        return QrCodeInfo.model_validate(data["info"])
    if kind == "rejected":
        return GatewayRejected(code=data["code"], message=data["message"], msg_id=msg_id)
    if kind == "busy":
        return GatewayBusy(limit=data["limit"], waited=data["waited"], msg_id=msg_id)
    if kind == "paused":
        since = datetime.fromisoformat(data["failing_since"]) if data["failing_since"] else None
        return GatewayBreakerOpen(failing_since=since, retry_in=data["retry_in"], msg_id=msg_id)
    if kind == "unavailable":
        return GatewayUnavailable(reason=data["reason"], attempts=data["attempts"],
                                  elapsed=data["elapsed"], msg_id=msg_id)  # fmt: skip
    if kind == "token-limit":
        return TokenLimitReached(
            code=data["code"], gateway_message=None, http_status=data["http_status"]
        )
    if kind == "misconfigured":
        return GatewayAuthError(code=data["code"], message=data["message"],
                                http_status=data["http_status"], msg_id=msg_id)  # fmt: skip
    return InvalidInput(field=data["field"], expected=data["expected"], example=data["example"])
