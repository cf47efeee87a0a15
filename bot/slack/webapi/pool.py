"""Shared connections: for every reply to a response_url, and for Web API calls.

Bolt's own ``respond()`` opens (and closes) a new aiohttp session, connector
and TCP connection for every reply; under a burst that was a fifth of the
reply path's CPU. :func:`install` swaps in a ``respond`` that posts on kept-alive
connections of the pool's own (bot/http1; a shared aiohttp session when a proxy is set).
Behaviour is otherwise Bolt's: same message fields, same WebhookResponse, never raises on
HTTP errors. The app's Web API client gets a session of its own (10 s for a whole call),
and users.info its own connections beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.webhook.webhook_response import WebhookResponse

from bot.http1 import Http1Pool, default_tls
from bot.service.metrics import ReplyFailure
from bot.slack.webapi.wire import post_json

REPLY_TIMEOUT_SECONDS = 10.0
# Without a pool, a reply's own session's limit: slack_sdk's webhook client's default.
_OWN_SESSION_TIMEOUT = aiohttp.ClientTimeout(total=30)


class ReplyPool:
    """Shared sessions and connections, created on first use inside the running loop; close
    them at exit.

    Replies to response_urls and Web API calls (users.info, chat.postMessage) each have
    their own: a Web API call that hangs never holds up a card's reply. Each kind may open
    as many connections again on its aiohttp session (a proxy's replies; Web API calls
    other than users.info) as on its kept-alive connections.
    """

    def __init__(self, *, max_connections: int = 100, max_api_connections: int = 50) -> None:
        self._limits = {"replies": max_connections, "api": max_api_connections}
        self._sessions: dict[str, aiohttp.ClientSession] = {}
        # The proxy slack_sdk would read from the environment (HTTPS_PROXY...), read once.
        self.proxy = load_http_proxy_from_env()
        # Without a proxy, replies and users.info go on kept-alive connections of the pool's
        # own (bot/http1), as many as each session may open, verified as aiohttp verifies.
        self._tls = default_tls()
        self._connections: dict[str, Http1Pool] = {}

    @property
    def max_api_connections(self) -> int:
        """How many kept-alive connections users.info may open (and other Web API calls as
        many again on the session)."""
        return self._limits["api"]

    def session(self) -> aiohttp.ClientSession:
        """For replies to response_urls."""
        return self._session("replies")

    def api_session(self) -> aiohttp.ClientSession:
        """For Web API calls."""
        return self._session("api")

    @property
    def connections(self) -> Http1Pool:
        """Kept-alive connections for replies (when no proxy is set)."""
        return self._pool_of("replies")

    @property
    def api_connections(self) -> Http1Pool:
        """Kept-alive connections for users.info (when no proxy is set)."""
        return self._pool_of("api")

    def _pool_of(self, kind: str) -> Http1Pool:
        pool = self._connections.get(kind)
        if pool is None or pool.closed:  # as a session, open again after aclose()
            pool = self._connections[kind] = Http1Pool(limit=self._limits[kind], tls=self._tls)
        return pool

    def _session(self, kind: str) -> aiohttp.ClientSession:
        session = self._sessions.get(kind)
        if session is None or session.closed:
            session = self._sessions[kind] = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limits[kind]),
                timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_SECONDS),
            )
        return session

    async def aclose(self) -> None:
        for session in self._sessions.values():
            await session.close()
        for pool in self._connections.values():
            await pool.aclose()


# A response_url is good for 5 replies in 30 minutes; then Slack answers 404 (or these words).
_SPENT = ("used_url", "expired_url", "invalid_url")

# Told how a reply failed: "spent", "refused" (any other error) or "unreachable".
ReplyFailed = Callable[[ReplyFailure], None]


def _nothing(reason: ReplyFailure) -> None:
    """No one to tell."""


class PooledRespond(AsyncRespond):
    """Bolt's respond(), posting through the pool's session (a session of its own per reply
    without a pool, as Bolt's), and telling *failed* when Slack does not take a reply."""

    def __init__(
        self, *, response_url: str, pool: ReplyPool | None, failed: ReplyFailed = _nothing
    ) -> None:
        super().__init__(response_url=response_url)
        self._pool = pool
        self._failed = failed

    async def __call__(  # type: ignore[override]  # the same call, minus Bolt's str-or-dict overload
        self,
        text: str = "",
        blocks: Sequence[dict[str, Any]] | None = None,
        response_type: str | None = None,
        replace_original: bool | None = None,
        delete_original: bool | None = None,
        **more: Any,
    ) -> WebhookResponse:
        # As Bolt's respond() builds it: text always, every other field only when given.
        # (Our own, not Bolt's private _build_message: no private name to break on upgrade.)
        fields = {
            "blocks": list(blocks) if blocks else None,
            "response_type": response_type,
            "replace_original": replace_original,
            "delete_original": delete_original,
            **more,
        }
        message = {"text": text} | {k: v for k, v in fields.items() if v is not None}
        url = self.response_url or ""
        try:
            if self._pool is None:  # a session of its own, as slack_sdk's webhook client opens
                async with aiohttp.ClientSession(timeout=_OWN_SESSION_TIMEOUT) as session:
                    proxy = load_http_proxy_from_env()
                    response = await post_json(session, url, message, proxy, connections=None)
            else:
                pool = self._pool
                response = await post_json(
                    pool.session(), url, message, pool.proxy, connections=pool.connections,
                )  # fmt: skip
        except Exception:
            self._failed("unreachable")
            raise
        if response.status_code != 200:
            spent = response.status_code == 404 or response.body.strip() in _SPENT
            self._failed("spent" if spent else "refused")
        return response


def install(app: AsyncApp, pool: ReplyPool | None, failed: ReplyFailed = _nothing) -> None:
    """Make every listener's ``respond`` a PooledRespond (a middleware: no I/O, runs before ack)
    that tells *failed* about replies Slack did not take. With a *pool*, the Web API calls
    (users.info, chat.postMessage, views.open) share its session too: Bolt's per-request
    clients take the app client's session, and without one slack_sdk opens a new session and
    connection for every call. Call it with the event loop running."""
    if pool is not None:
        app.client.session = pool.api_session()

    @app.middleware
    async def pooled_respond(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        if context.response_url:
            context["respond"] = PooledRespond(
                response_url=context.response_url, pool=pool, failed=failed
            )
        await next()
