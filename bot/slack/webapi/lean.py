"""Slack calls made straight on a shared aiohttp session, as slack_sdk makes them.

slack_sdk builds a client, a retry state and its debug checks around every call; under a
burst that was a tenth of a command's CPU for the reply alone. These send the same bytes
and headers (tests compare them on a loopback server), retry a dropped connection once as
slack_sdk's default handler does, and give back slack_sdk's own response objects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import get_user_agent
from slack_sdk.webhook.webhook_response import WebhookResponse

T = TypeVar("T")

# What slack_sdk's webhook client sends with every post, in its order (tests pin the bytes).
_HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
# Its default retry: once more, after a short backoff, when the connection failed.
_RETRIED = (aiohttp.ServerConnectionError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


async def post_json(
    session: aiohttp.ClientSession, url: str, message: dict[str, Any]
) -> WebhookResponse:
    """What ``AsyncWebhookClient(url, session=session).send_dict(message)`` does, with its
    default retry, without building a client, a retry state and a log line per reply: the
    same body bytes and headers (proxy from the environment included), the same response.
    Under a burst, a tenth of a command's CPU was the webhook client's own."""
    # Bytes, once: a str would be kept beside aiohttp's encoded copy while the reply waits
    # for a connection (under a burst, hundreds of cards wait at once).
    body = json.dumps(message).encode()

    async def post() -> WebhookResponse:
        async with session.post(
            url, data=body, headers=_HEADERS, proxy=load_http_proxy_from_env()
        ) as response:
            return WebhookResponse(
                url=url,
                status_code=response.status,
                body=await response.text(),
                headers=response.headers,  # type: ignore[arg-type]  # as slack_sdk passes it
            )

    return await _retried_once(post)


async def _retried_once(call: Callable[[], Awaitable[T]]) -> T:
    """*call*, and once more after slack_sdk's first backoff when its connection failed."""
    try:
        return await call()
    except _RETRIED:
        await asyncio.sleep(default_interval_calculator.calculate_sleep_duration(0))
    return await call()


def takes_lean_calls(client: AsyncWebClient) -> bool:
    """The client is one :func:`users_info` can stand in for: a live shared session and
    slack_sdk's default retry (a dropped connection, once)."""
    handlers = client.retry_handlers or []
    return (
        client.session is not None
        and not client.session.closed
        and len(handlers) == 1
        and type(handlers[0]) is AsyncConnectionErrorRetryHandler
        and handlers[0].max_retry_count == 1
        and handlers[0].interval_calculator is default_interval_calculator
        and tuple(handlers[0].error_types_to_do_retries) == _RETRIED
    )


def _web_api_headers(client: AsyncWebClient) -> dict[str, str]:
    """As slack_sdk's _get_headers: its own, the token's, then the client's (User-Agent)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if "User-Agent" not in client.headers:
        headers["User-Agent"] = get_user_agent()
    if client.token:
        headers["Authorization"] = f"Bearer {client.token}"
    headers.update(client.headers)
    return headers


async def users_info(client: AsyncWebClient, user: str) -> AsyncSlackResponse:
    """``client.users_info(user=user, include_locale=True)`` for a client
    :func:`takes_lean_calls` accepts: the same GET, the same response (validated by
    slack_sdk: a refusal raises the same SlackApiError). A reply that is not JSON is asked
    again through slack_sdk itself, which reads every kind (users.info only reads)."""
    assert client.session is not None  # noqa: S101  # takes_lean_calls said so
    session, url = client.session, client.base_url + "users.info"
    params = {"user": user, "include_locale": "1"} | {
        k: v for k, v in client.default_params.items() if k not in ("user", "include_locale")
    }
    headers = _web_api_headers(client)

    async def get() -> tuple[int, Any, Any] | None:
        # As slack_sdk passes them (its ssl may be None: aiohttp's default then).
        options: dict[str, Any] = {"ssl": client.ssl, "proxy": client.proxy}
        async with session.request(
            "GET", url, headers=headers, params=params, **options
        ) as response:
            if response.content_type != "application/json":
                return None
            try:
                return response.status, response.headers, await response.json()
            except json.JSONDecodeError:
                return None

    got = await _retried_once(get)
    if got is None:
        return await client.users_info(user=user, include_locale=True)
    status, response_headers, data = got
    request = {"headers": headers, "params": params, "ssl": client.ssl, "proxy": client.proxy}
    response = AsyncSlackResponse(
        client=client, http_verb="GET", api_url=url, req_args=request, data=data,
        headers=response_headers, status_code=status,
    )  # fmt: skip
    response.validate()  # type: ignore[no-untyped-call]  # unannotated in slack_sdk
    return response
