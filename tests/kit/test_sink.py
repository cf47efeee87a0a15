"""ResponseSink (bot/kit/sink.py), the local stand-in for Slack's response_url: on a free
loopback port it queues every POST and answers ``ok``, or refuses as Slack does."""

from __future__ import annotations

import aiohttp
import pytest

from bot.kit.sink import ResponseSink


async def post(url: str, data: bytes) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(url, data=data) as response:
        return response.status, await response.text()


async def test_it_listens_on_loopback_and_records_each_post_in_order() -> None:
    async with ResponseSink() as sink:
        assert sink.url().startswith("http://127.0.0.1:")
        assert sink.url("/commands/7").endswith("/commands/7")
        assert await post(sink.url("/a"), b'{"text": "one"}') == (200, "ok")
        assert await post(sink.url("/b"), b'{"text": "two"}') == (200, "ok")
        first, second = await sink.next(1), await sink.next(1)
    assert (first.path, first.payload) == ("/a", {"text": "one"})
    assert (second.path, second.payload) == ("/b", {"text": "two"})
    assert first.received_at <= second.received_at
    assert sink.count == 2


async def test_a_body_that_is_not_json_is_kept_as_raw_text() -> None:
    async with ResponseSink() as sink:
        await post(sink.url(), b"not json \xff")
        delivery = await sink.next(1)
    assert delivery.payload == {"_raw": "not json \ufffd"}


async def test_with_a_status_it_refuses_every_post_but_still_records_it() -> None:
    async with ResponseSink(status=410) as sink:
        assert await post(sink.url(), b"{}") == (410, "expired_url")
        assert (await sink.next(1)).payload == {}


async def test_refuse_answers_404_only_for_the_payloads_it_picks() -> None:
    async with ResponseSink(refuse=lambda p: p.get("response_type") == "in_channel") as sink:
        assert await post(sink.url(), b'{"response_type": "in_channel"}') == (404, "expired_url")
        assert await post(sink.url(), b'{"response_type": "ephemeral"}') == (200, "ok")
        assert sink.count == 2


async def test_waiting_for_a_delivery_that_never_comes_is_a_timeout() -> None:
    async with ResponseSink() as sink:
        with pytest.raises(TimeoutError):
            await sink.next(0)


async def test_after_the_block_it_listens_no_more() -> None:
    async with ResponseSink() as sink:
        url = sink.url()
    with pytest.raises(aiohttp.ClientConnectorError):
        await post(url, b"{}")
