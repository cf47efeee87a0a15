"""The Authorization flows (bot/gateway/auth.py): OPEN-BODY-SIG signs the bytes sent with a
fresh nonce each time; OPEN-ACCESS-TOKEN sends the cached token and, when the gateway
rejects it, refreshes once and asks once more."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from bot.gateway.auth import AccessTokenAuth, BodySigAuth, is_token_rejected
from bot.gateway.signing import body_signature, parse_body_sig_header
from bot.gateway.tokens import IssuedToken, TokenCache
from tests.helpers import APP_ID, APP_KEY, FIXED_NOW


def nonces() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"nonce-{n}"


def body_sig() -> BodySigAuth:
    made = nonces()
    return BodySigAuth(
        app_id=APP_ID,
        app_key=SecretStr(APP_KEY),
        wall_clock=lambda: FIXED_NOW,
        nonce=lambda: next(made),
    )


def signed(auth: BodySigAuth, content: bytes) -> httpx.Request:
    request = httpx.Request("POST", "https://gateway.test/q", content=content)
    return next(auth.auth_flow(request))


def test_body_sig_signs_the_body_as_sent_at_the_beijing_time() -> None:
    request = signed(body_sig(), b'{"mid": "1"}')
    parts = parse_body_sig_header(request.headers["Authorization"])
    assert parts is not None
    assert (parts.app_id, parts.timestamp, parts.nonce) == (APP_ID, "20261125120000", "nonce-1")
    assert parts.signature == body_signature(
        app_id=APP_ID,
        app_key=APP_KEY,
        timestamp=parts.timestamp,
        nonce="nonce-1",
        body=b'{"mid": "1"}',
    )


def test_body_sig_takes_a_fresh_nonce_for_every_request() -> None:
    auth = body_sig()
    first, second = signed(auth, b"{}"), signed(auth, b"{}")
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert "nonce-2" in second.headers["Authorization"]


def test_body_sig_shows_no_key_in_its_repr() -> None:
    assert repr(body_sig()) == f"BodySigAuth(app_id={APP_ID!r})"


@pytest.mark.parametrize(
    ("status", "body", "rejected"),
    [
        (401, b"", True),
        (412, b"<html/>", True),
        (200, b'{"errCode": "1002", "errInfo": "token invalid"}', True),
        (200, b'{"errCode": 1002}', True),
        (200, b'{"errCode": "0000"}', False),
        (200, b'{"errCode": "NO_BILL"}', False),
        (200, b'{"errCode": "SUCCESS"}', False),
        (500, b'{"errCode": "1002"}', False),
        (200, b"not json", False),
        (200, b'["1002"]', False),
    ],
    ids=[
        "401",
        "412",
        "numeric-code",
        "numeric-int",
        "ok-code",
        "business-code",
        "success",
        "5xx",
        "not-json",
        "not-object",
    ],
)
def test_a_token_is_rejected_by_401_412_or_a_numeric_errcode(
    status: int, body: bytes, rejected: bool
) -> None:
    assert is_token_rejected(httpx.Response(status, content=body)) is rejected


class Gateway:
    """A mock gateway answering each query with the next of *statuses*, recording tokens."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers["Authorization"])
        status = self.statuses.pop(0)
        body = {"errCode": "SUCCESS"} if status == 200 else {"errCode": "1002"}
        return httpx.Response(status, content=json.dumps(body).encode())


def token_cache() -> TokenCache:
    issued = iter(["token-a", "token-b", "token-c"])

    async def fetch() -> IssuedToken:
        return IssuedToken(next(issued), 3600)

    return TokenCache(fetch, clock=lambda: 0.0)


async def ask(gateway: Gateway, cache: TokenCache) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.MockTransport(gateway)) as client:
        auth = AccessTokenAuth(cache)
        return await client.post("https://gateway.test/q", content=b"{}", auth=auth)


async def test_the_cached_token_goes_in_the_header() -> None:
    gateway, cache = Gateway(200, 200), token_cache()
    await ask(gateway, cache)
    await ask(gateway, cache)
    assert gateway.seen == ["OPEN-ACCESS-TOKEN AccessToken=token-a"] * 2
    assert cache.fetches == 1


async def test_a_rejected_token_is_refreshed_and_the_request_sent_once_more() -> None:
    gateway, cache = Gateway(401, 200), token_cache()
    response = await ask(gateway, cache)
    assert response.status_code == 200
    assert gateway.seen == [
        "OPEN-ACCESS-TOKEN AccessToken=token-a",
        "OPEN-ACCESS-TOKEN AccessToken=token-b",
    ]


async def test_a_token_rejected_twice_gives_the_second_rejection_back() -> None:
    gateway, cache = Gateway(401, 401, 200), token_cache()
    response = await ask(gateway, cache)
    assert response.status_code == 401
    assert len(gateway.seen) == 2
    assert cache.fetches == 2


def test_the_token_flow_shows_the_cache_not_the_token() -> None:
    assert repr(AccessTokenAuth(token_cache())) == "AccessTokenAuth(<TokenCache empty, fetches=0>)"
