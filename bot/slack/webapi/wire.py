"""Slack calls put on the wire as slack_sdk puts them, on kept-alive connections of the
process's own (:mod:`bot.http1`), or on a shared aiohttp session where those cannot go.

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
from ssl import SSLContext
from typing import Any, Protocol, TypeVar

import aiohttp
from multidict import CIMultiDictProxy
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import default_interval_calculator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import _build_unexpected_body_error_message, get_user_agent
from slack_sdk.webhook.webhook_response import WebhookResponse
from yarl import URL

from bot.http1 import Http1Pool, Timeouts, request_bytes, request_line
from bot.http1.decoding import ACCEPT_ENCODING, DECODES_ALL_ASKED, DecodedResponse

T = TypeVar("T")


class Response(Protocol):
    """What is read of a response here: aiohttp's, or :class:`DecodedResponse`."""

    @property
    def status(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def headers(self) -> CIMultiDictProxy[str]: ...
    async def read(self) -> bytes: ...
    async def text(self) -> str: ...
    async def json(self) -> Any: ...


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
    connections: Http1Pool | None,
) -> WebhookResponse:
    """What ``AsyncWebhookClient(url, session=session).send_dict(message)`` does, with its
    default retry, through *proxy* (slack_sdk's reads HTTPS_PROXY and the like: the caller
    passes what it read): the same body bytes and headers, the same response. Without a
    proxy, on *connections* if given (within the session's total)."""
    # Bytes, once: a str would be kept beside aiohttp's encoded copy while the reply waits
    # for a connection (under a burst, hundreds of cards wait at once).
    body = json.dumps(message).encode()

    async def post() -> WebhookResponse:
        if _WEBHOOK_LOG.isEnabledFor(logging.DEBUG):  # slack_sdk's two lines, word for word
            said = f"url: {url}, body: {body.decode()}, headers: {_HEADERS}"
            _WEBHOOK_LOG.debug(f"Sending a request - {said}")
        async with _responding(
            session, connections, "POST", url, _HEADERS, body=body, proxy=proxy
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
    connections: Http1Pool | None,
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    body: bytes = b"",
    params: dict[str, str] | None = None,
    proxy: str | None = None,
    ssl: SSLContext | None = None,
) -> AsyncIterator[Response]:
    """The response to one request: on *connections* if given (within *session*'s total),
    unless a *proxy* or *ssl* (a client's own TLS settings) is, which only *session* takes."""
    if connections is None or proxy or ssl is not None or not DECODES_ALL_ASKED:
        async with session.request(
            method, url, headers=headers, data=body or None, params=params, proxy=proxy,
            ssl=True if ssl is None else ssl,  # None: aiohttp's default, as it takes None
        ) as response:  # fmt: skip
            yield response
        return
    target = URL(url).extend_query(params) if params else URL(url)
    request = request_bytes(
        request_line(method, target), _as_aiohttp_writes(target, headers, body), body
    )
    # A GET is sent again once if its connection was lost, as aiohttp does.
    sent = connections.exchange(
        target, request, Timeouts(total=session.timeout.total), idempotent=method == "GET"
    )
    yield DecodedResponse(method, target, await sent)


def _as_aiohttp_writes(url: URL, headers: dict[str, str], body: bytes) -> list[tuple[str, str]]:
    """The headers aiohttp's client writes with *headers* given (each caller gives a
    User-Agent): Host first, then the headers given, then Accept and Accept-Encoding when
    not given, then the body's length."""
    given = {name.lower() for name in headers}
    lines = [] if "host" in given else [("Host", url.host_port_subcomponent or "")]
    lines.extend(headers.items())
    if "accept" not in given:
        lines.append(("Accept", "*/*"))
    if "accept-encoding" not in given:
        lines.append(("Accept-Encoding", ACCEPT_ENCODING))
    if body:
        lines.append(("Content-Length", str(len(body))))
    return lines


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


async def _read_reply(client: AsyncWebClient, url: str, response: Response) -> Any:
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
    client: AsyncWebClient, user: str, *, connections: Http1Pool | None
) -> AsyncSlackResponse:
    """``client.users_info(user=user, include_locale=True)`` for a client
    :func:`on_shared_session` accepts: the same GET, the same response (validated by
    slack_sdk: a refusal, or a reply that is not JSON, raises the same SlackApiError). On
    *connections* if given (within the session's total), unless the client has a proxy or
    TLS settings of its own."""
    assert client.session is not None  # noqa: S101  # on_shared_session said so
    session, url = client.session, client.base_url + "users.info"
    params = {"user": user, "include_locale": "1"} | {
        k: v for k, v in client.default_params.items() if k not in ("user", "include_locale")
    }
    headers = _web_api_headers(client)

    async def get() -> tuple[int, Any, Any]:
        _log_request(client, url, params, headers)
        async with _responding(  # its ssl and proxy as slack_sdk passes them
            session, connections, "GET", url, headers, params=params,
            proxy=client.proxy, ssl=client.ssl,
        ) as response:  # fmt: skip
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
