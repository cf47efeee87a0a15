"""Socket Mode's connection: refused tokens, retries with growing waits, Retry-After."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.serving.socket_mode import SocketConnection, retry_after_seconds
from tests.slack.fakes import APP_TOKEN, FakeSlackApi
from tests.slack.helpers import WAIT


def socket_connection(slack_api: FakeSlackApi, app_token: str = APP_TOKEN) -> SocketConnection:
    connection = SocketConnection(
        app_token=app_token, web_client=AsyncWebClient(base_url=slack_api.url), ping_interval=0.05
    )
    connection.backoff_initial = 0.01
    return connection


async def test_a_refused_app_token_ends_the_connection_at_the_first_answer(
    slack_api: FakeSlackApi,
) -> None:
    """invalid_auth from apps.connections.open: one call, no retry, the refusal recorded."""
    connection = socket_connection(slack_api, app_token="xapp-not-the-token")
    try:
        await asyncio.wait_for(connection.connect(), 5)
        assert connection.refused == "invalid_auth"
        assert connection.refusal.is_set()
        assert len(slack_api.of("apps.connections.open")) == 1
    finally:
        await connection.close()


async def test_transient_failures_are_retried_with_growing_waits_then_connect(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Three HTML 503s: three one-line warnings with growing waits, then the socket opens."""
    slack_api.connections_failures = 3
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), 5)
        assert await connection.is_connected()
        assert len(slack_api.of("apps.connections.open")) == 4
        retries = [r for r in caplog.records if "cannot open a Socket Mode" in r.getMessage()]
        assert len(retries) == 3
        assert all(r.exc_info is None and "\n" not in r.getMessage() for r in retries)
        waits = [cast(tuple[str, float], r.args)[1] for r in retries]
        assert waits == sorted(waits)
        assert len(set(waits)) == 3
        assert "Slack answered HTTP 503" in retries[0].getMessage()
    finally:
        await connection.close()


@pytest.mark.parametrize("fault", ["dead_urls", "urlless"], ids=["dead-url", "no-url"])
async def test_a_url_that_fails_is_never_tried_twice(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    """A websocket URL nobody answers, or an answer without one: a fresh URL each time, then in."""
    setattr(slack_api, fault, 2)
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        assert await connection.is_connected()
        assert len(slack_api.of("apps.connections.open")) == 3
        assert [r for r in caplog.records if r.exc_info] == []
        assert "ONE-TIME-TICKET" not in "\n".join(r.getMessage() for r in caplog.records)
    finally:
        await connection.close()


async def test_a_token_revoked_at_reconnection_ends_the_connection_without_an_error_dump(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack asks the bot to reconnect and then refuses the token: the refusal, nothing louder."""
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        slack_api.app_token_revoked = True
        assert slack_api.socket is not None
        await slack_api.socket.send_json({"type": "disconnect", "reason": "refresh_requested"})
        await asyncio.wait_for(connection.refusal.wait(), WAIT)
        assert connection.refused == "token_revoked"
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [({"Retry-After": "12"}, 12.0), ({"Retry-After": "soon"}, 0.0), ({}, 0.0),
     ({"Retry-After": "inf"}, 30.0), ({"Retry-After": "-5"}, 0.0), ({"Retry-After": "1e9"}, 30.0)],
    ids=["seconds", "not-a-number", "absent", "inf", "negative", "huge"],
)  # fmt: skip
def test_retry_after_is_read_within_reason(header: dict[str, str], seconds: float) -> None:
    """Slack's Retry-After, bounded: never a crash, never an endless wait."""
    assert retry_after_seconds(header, 30.0) == seconds


async def test_a_connection_that_closes_at_once_is_redialled_with_growing_waits(
    slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Hello, then closed: each redial waits longer, one line each, never a tight loop."""
    slack_api.close_at_once = True
    connection = socket_connection(slack_api)
    try:
        await asyncio.wait_for(connection.connect(), WAIT)
        await slack_api.wait_for("apps.connections.open", count=4)
        lines = [r for r in caplog.records if "did not last" in r.getMessage()]
        waits = [cast(tuple[float], r.args)[0] for r in lines]
        assert len(waits) >= 3
        assert waits == sorted(waits)
        assert waits[0] < waits[-1]
    finally:
        await connection.close()
