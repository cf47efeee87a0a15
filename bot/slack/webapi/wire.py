"""Slack calls put on the wire straight from a shared aiohttp session, as slack_sdk puts them.

slack_sdk builds a client, a retry state and its debug checks around every call; under a
burst that was a tenth of a command's CPU for the reply alone. These send the same bytes
and headers, retry a dropped connection once as slack_sdk's default handler does, and
give back slack_sdk's own response objects. What they copy of slack_sdk, and where:
``AsyncWebhookClient.send_dict`` and ``_perform_http_request`` (:func:`post_json`);
``AsyncBaseClient.api_call``, ``internal_utils._get_headers`` and
``_set_default_params``, and ``async_internal_utils._request_with_session`` (its
reading of a reply and its error words, ``_build_unexpected_body_error_message``:
:func:`users_info`). tests/slack/webapi/test_wire.py compares every header in order,
the body, the target (a proxy's too) and the answers, on loopback servers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import _build_unexpected_body_error_message, get_user_agent
from slack_sdk.webhook.webhook_response import WebhookResponse
from yarl import URL

from bot.http1 import Http1, Limits, request_bytes
from bot.http1.reading import ACCEPT_ENCODING, DECODES_ALL_ASKED, Read

T = TypeVar("T")

# What slack_sdk's webhook client sends with every post, in its order (tests pin the bytes).
_HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
# Where slack_sdk's webhook client logs what it sends and gets (at DEBUG).
_WEBHOOK_LOG = logging.getLogger("slack_sdk.webhook.async_client")
# Its default retry: once more, after a short backoff, when the connection failed.
_RETRIED = (aiohttp.ServerConnectionError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


async def post_json(
    session: aiohttp.ClientSession,
    url: str,
    message: dict[str, Any],
    proxy: str | None,
    *,
    http1: Http1 | None = None,
    seconds: float = 10.0,
) -> WebhookResponse:
    """What ``AsyncWebhookClient(url, session=session).send_dict(message)`` does, with its
    default retry, through *proxy* (slack_sdk's reads HTTPS_PROXY and the like: the caller
    passes what it read): the same body bytes and headers, the same response. Without a
    proxy, on *http1*'s connections (within *seconds*, as *session*'s total) if given."""
    # Bytes, once: a str would be kept beside aiohttp's encoded copy while the reply waits
    # for a connection (under a burst, hundreds of cards wait at once).
    body = json.dumps(message).encode()
    lean = http1 if proxy is None and DECODES_ALL_ASKED else None  # it takes no proxy

    async def post() -> WebhookResponse:
        if _WEBHOOK_LOG.isEnabledFor(logging.DEBUG):  # slack_sdk's two lines, word for word
            said = f"url: {url}, body: {body.decode()}, headers: {_HEADERS}"
            _WEBHOOK_LOG.debug(f"Sending a request - {said}")
        async with _responding(
            session, lean, "POST", url, _HEADERS, seconds=seconds, body=body, proxy=proxy
        ) as response:
            answer = WebhookResponse(
                url=url,
                status_code=response.status,
                body=await response.text(),
                headers=response.headers,  # type: ignore[arg-type]  # as slack_sdk passes it
            )
        if _WEBHOOK_LOG.isEnabledFor(logging.DEBUG):
            said = f"status: {answer.status_code}, headers: {dict(answer.headers)}"
            _WEBHOOK_LOG.debug(f"Received the following response - {said}, body: {answer.body}")
        return answer

    return await _retried_once(post)


@asynccontextmanager
async def _responding(
    session: aiohttp.ClientSession,
    http1: Http1 | None,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    seconds: float,
    body: bytes = b"",
    params: dict[str, str] | None = None,
    **options: Any,
) -> AsyncIterator[aiohttp.ClientResponse | Read]:
    """The response to one request: on *http1*'s connections if given (within *seconds*; a
    GET sent again once if its connection was lost, as aiohttp does), else on *session*
    with aiohttp's *options*."""
    if http1 is None:
        async with session.request(
            method, url, headers=headers, data=body or None, params=params, **options
        ) as response:
            yield response
        return
    target = URL(url).extend_query(params) if params else URL(url)
    request = _request(method, target, headers, body)
    limits = Limits(total=seconds)
    yield Read(target, await http1.exchange(target, request, limits, idempotent=method == "GET"))


def _request(method: str, url: URL, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The request aiohttp's client writes for these *headers* and *body*: Host first, then
    the headers given, then the ones it adds when not given, then the body's length."""
    given = {name.lower() for name in headers}
    host = url.host_port_subcomponent or ""
    lines = [
        *([("Host", host)] if "host" not in given else []),
        *headers.items(),
        *(("Accept", "*/*"),) * ("accept" not in given),
        *(("Accept-Encoding", ACCEPT_ENCODING),) * ("accept-encoding" not in given),
        *(("Content-Length", str(len(body))),) * bool(body),
    ]
    return request_bytes(f"{method} {url.raw_path_qs} HTTP/1.1", lines, body)


async def _retried_once(call: Callable[[], Awaitable[T]]) -> T:
    """*call*, and once more after slack_sdk's first backoff when its connection failed."""
    try:
        return await call()
    except _RETRIED:
        await asyncio.sleep(default_interval_calculator.calculate_sleep_duration(0))
    return await call()


def on_shared_session(client: AsyncWebClient) -> bool:
    """The client has what :func:`users_info` stands in for: a live shared session (else
    slack_sdk opens one per call) and slack_sdk's default retry (a dropped connection, once)."""
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


def _log_request(
    client: AsyncWebClient, url: str, params: dict[str, str], headers: dict[str, str]
) -> None:
    """slack_sdk's line before a Web API call (_request_with_session), word for word."""
    if not client.logger.isEnabledFor(logging.DEBUG):
        return
    shown = {k: "(redacted)" if k.lower() == "authorization" else v for k, v in headers.items()}
    client.logger.debug(
        f"Sending a request - url: GET {url}, params: {params}, files: {{}}, data: {{}}, "
        f"json: {{}}, proxy: {{}}, headers: {shown}"
    )


def _log_response(client: AsyncWebClient, status: int, headers: Any, data: Any) -> None:
    """slack_sdk's line after a Web API call, word for word."""
    if client.logger.isEnabledFor(logging.DEBUG):
        body = data if isinstance(data, dict | str) else "(binary)"
        said = f"status: {status}, headers: {dict(headers)}, body: {body}"
        client.logger.debug(f"Received the following response - {said}")


async def _read_reply(
    client: AsyncWebClient, url: str, response: aiohttp.ClientResponse | Read
) -> Any:
    """A Web API reply read as slack_sdk's _request_with_session reads it: JSON, or {} for
    another type (gzip and text kept as they are); a body that is not the JSON it claims
    is a SlackApiError, in slack_sdk's own (nested) words."""
    if response.content_type == "application/gzip":
        return await response.read()
    if response.content_type == "text/plain":
        return await response.text()
    try:
        return await response.json()
    except aiohttp.ContentTypeError:
        client.logger.debug(f"No response data returned from the following API call: {url}.")
        return {}
    except json.JSONDecodeError:
        try:
            said = _build_unexpected_body_error_message(await response.text())
            raise SlackApiError(said, response)  # type: ignore[no-untyped-call]  # slack_sdk
        except Exception as exc:  # noqa: BLE001  # slack_sdk wraps even its own error so
            failed = f"Unexpectedly failed to read the response body: {exc}"
            raise SlackApiError(failed, response) from None  # type: ignore[no-untyped-call]


async def users_info(
    client: AsyncWebClient, user: str, *, http1: Http1 | None = None, seconds: float = 10.0
) -> AsyncSlackResponse:
    """``client.users_info(user=user, include_locale=True)`` for a client
    :func:`on_shared_session` accepts: the same GET, the same response (validated by
    slack_sdk: a refusal, or a reply that is not JSON, raises the same SlackApiError). On
    *http1*'s connections (within *seconds*, as the session's total) if given, unless the
    client has a proxy or TLS settings of its own."""
    assert client.session is not None  # noqa: S101  # on_shared_session said so
    session, url = client.session, client.base_url + "users.info"
    params = {"user": user, "include_locale": "1"} | {
        k: v for k, v in client.default_params.items() if k not in ("user", "include_locale")
    }
    headers = _web_api_headers(client)

    # Kept-alive connections of their own take no proxy and no TLS settings of a client's.
    lean = http1 if client.ssl is None and not client.proxy and DECODES_ALL_ASKED else None

    async def get() -> tuple[int, Any, Any]:
        _log_request(client, url, params, headers)
        # As slack_sdk passes them (its ssl may be None: aiohttp's default then).
        options: dict[str, Any] = {"ssl": client.ssl, "proxy": client.proxy}
        async with _responding(
            session, lean, "GET", url, headers, seconds=seconds, params=params, **options
        ) as response:
            data = await _read_reply(client, url, response)
        _log_response(client, response.status, response.headers, data)
        return response.status, response.headers, data

    status, response_headers, data = await _retried_once(get)
    request = {"headers": headers, "params": params, "ssl": client.ssl, "proxy": client.proxy}
    response = AsyncSlackResponse(
        client=client, http_verb="GET", api_url=url, req_args=request, data=data,
        headers=response_headers, status_code=status,
    )  # fmt: skip
    response.validate()  # type: ignore[no-untyped-call]  # unannotated in slack_sdk
    return response
