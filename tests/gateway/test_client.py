"""The client over a mocked gateway: body, signature, retries, deadline, errors, tokens."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import date
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot.gateway.attempts import Attempts
from bot.gateway.bills import BillRef
from bot.gateway.client import QrCodeClient
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
)
from bot.gateway.protocol import BILLS_PATH, QUERY_PATH, TOKEN_PATH
from bot.gateway.signing import body_signature, parse_body_sig_header, token_signature
from bot.gateway.tokens import IssuedToken, fetch_token
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from bot.wiring import build_gateway
from tests.gateway.helpers import SEED_REPLY
from tests.helpers import APP_ID, APP_KEY, FIXED_NOW, GATEWAY, ClientFactory, make_settings

MID = "898340149000005"
QR = "31942002268195125132885377"
TOKEN = "0123456789abcdef0123456789abcdef"
SANDBOX_URL = "http://sandbox.invalid"
BROKEN_QR = "E5030000000000000000000001"  # the sandbox answers it with an nginx 502 page


def ok(body: dict[str, Any] | None = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=SEED_REPLY if body is None else body)


def sandbox_client(http: httpx.AsyncClient, **settings: object) -> QrCodeClient:
    """A client with the sandbox's credentials, on *http* and the fixed clock."""
    return build_gateway(
        make_settings(
            chinaums_base_url=SANDBOX_URL,
            chinaums_app_id=SANDBOX_APP_ID,
            chinaums_app_key=SANDBOX_APP_KEY,
            **settings,
        ),
        http,
        wall_clock=lambda: FIXED_NOW,
    )


async def sandbox_token(http: httpx.AsyncClient) -> IssuedToken:
    """One more live token for the sandbox app, as another process using the appId would take."""
    return await fetch_token(
        http,
        base_url=SANDBOX_URL,
        app_id=SANDBOX_APP_ID,
        app_key=SecretStr(SANDBOX_APP_KEY),
        wall_clock=lambda: FIXED_NOW,
    )


def token_reply(token: str = TOKEN, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200,
        json={"errCode": "0000", "errInfo": "正常", "accessToken": token, "expiresIn": expires_in},
    )


async def test_seed_lookup_returns_the_typed_reply(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A SUCCESS reply comes back as a QrCodeInfo."""
    gateway.post(QUERY_PATH).mock(return_value=ok())
    info = await make_client().query_qrcode_info(MID, QR)
    assert info.mer_name == "测试商户"
    assert info.total_amount == 2


async def test_client_sends_exactly_the_bytes_it_signed(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """The signature in the header verifies against the raw body on the wire."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok())
    await make_client(chinaums_system_id="35325423", chinaums_src_reserve="测试").query_qrcode_info(
        MID, QR, msg_id="m-1"
    )
    sent = route.calls.last.request
    parts = parse_body_sig_header(sent.headers["Authorization"])
    assert parts is not None
    assert parts.app_id == APP_ID
    assert parts.timestamp == "20261125120000"  # FIXED_NOW in Beijing
    assert parts.signature == body_signature(
        app_id=APP_ID,
        app_key=APP_KEY,
        timestamp=parts.timestamp,
        nonce=parts.nonce,
        body=sent.content,
    )
    assert json.loads(sent.content) == {
        "requestTimestamp": "2026-11-25 12:00:00",
        "mid": MID,
        "qrCodeId": QR,
        "msgId": "m-1",
        "srcReserve": "测试",
        "systemId": "35325423",
    }
    assert sent.headers["Content-Type"].startswith("application/json")


async def test_every_lookup_gets_a_unique_msg_id_of_at_most_64_chars(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """Without a given msgId the client makes one per lookup."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok())
    client = make_client()
    for _ in range(3):
        await client.query_qrcode_info(MID, QR)
    ids = [json.loads(call.request.content)["msgId"] for call in route.calls]
    assert len(set(ids)) == 3
    assert all(0 < len(i) <= 64 for i in ids)


async def test_a_503_then_success_is_retried_and_succeeds(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A transient 503 is retried with a fresh nonce; the second answer wins."""
    route = gateway.post(QUERY_PATH).mock(side_effect=[httpx.Response(503, text="busy"), ok()])
    info = await make_client().query_qrcode_info(MID, QR)
    assert info.err_code == "SUCCESS"
    assert route.call_count == 2
    nonces = {parse_body_sig_header(c.request.headers["Authorization"]).nonce for c in route.calls}  # type: ignore[union-attr]
    assert len(nonces) == 2


@pytest.mark.parametrize("code", ["SYSTEM_BUSY", "TIMEOUT", "NET_ERROR", "INTERNAL_ERROR"])
async def test_transient_business_codes_are_retried(
    gateway: respx.MockRouter, make_client: ClientFactory, code: str
) -> None:
    """Provider-side trouble codes are retried like a 5xx."""
    route = gateway.post(QUERY_PATH).mock(side_effect=[ok({"errCode": code}), ok()])
    await make_client().query_qrcode_info(MID, QR)
    assert route.call_count == 2


async def test_connect_errors_are_retried(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A refused connection is transient."""
    route = gateway.post(QUERY_PATH).mock(side_effect=[httpx.ConnectError("refused"), ok()])
    await make_client().query_qrcode_info(MID, QR)
    assert route.call_count == 2


async def test_no_bill_is_not_retried_and_explained(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A definite answer is asked once and comes back as GatewayRejected with its meaning."""
    route = gateway.post(QUERY_PATH).mock(
        return_value=ok({"errCode": "NO_BILL", "errMsg": "账单不存在", "msgId": "x"})
    )
    with pytest.raises(GatewayRejected) as caught:
        await make_client().query_qrcode_info(MID, QR, msg_id="corr-1")
    assert route.call_count == 1
    assert caught.value.code == "NO_BILL"
    assert caught.value.gateway_message == "账单不存在"
    assert caught.value.msg_id == "corr-1"
    assert "No QR code" in caught.value.explanation


async def test_a_gateway_that_never_answers_is_unavailable_within_the_deadline(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A hang ends in GatewayUnavailable at the deadline, saying so."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")

    gateway.post(QUERY_PATH).mock(side_effect=hang)
    # The bound only stops a broken deadline from hanging the suite (the hang is 60 s).
    async with asyncio.timeout(30):
        with pytest.raises(GatewayUnavailable) as caught:
            await make_client(chinaums_timeout=1.0).query_qrcode_info(MID, QR)
    assert caught.value.attempts == 1  # with a 1 s budget one attempt may use all of it
    assert "within 1 s" in str(caught.value)


async def test_a_refused_connection_is_reported_as_refused_by_the_error_and_every_attempt(
    make_client: ClientFactory, refusing_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Nobody listening: the reason and each attempt's line say refused, naming the origin only."""
    caplog.set_level(logging.INFO, logger="bot.gateway.client")
    client = make_client(chinaums_base_url=refusing_url + "/gw-prefix", chinaums_timeout=0.3)
    with pytest.raises(GatewayUnavailable) as caught:
        await client.query_qrcode_info(MID, QR)
    refused = f"cannot reach the gateway at {refusing_url}: connection refused"
    assert caught.value.reason == refused
    attempts = [r.getMessage() for r in caplog.records if "lookup attempt" in r.getMessage()]
    assert caught.value.attempts == len(attempts) == 3  # stamina's test mode: three attempts
    assert all(line.endswith(refused) for line in attempts)


@pytest.mark.parametrize("failure", ["refused", "sandbox-502"])
async def test_an_unavailable_lookup_logs_one_warning_in_the_whole_process(
    make_client: ClientFactory,
    refusing_url: str,
    sandbox_http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    """Retried attempts are INFO; the lookup's failure is the one WARNING from any logger."""
    caplog.set_level(logging.DEBUG)
    if failure == "refused":
        client, qr = make_client(chinaums_base_url=refusing_url, chinaums_timeout=0.3), QR
    else:
        client, qr = sandbox_client(sandbox_http, chinaums_timeout=0.3), BROKEN_QR
    with pytest.raises(GatewayUnavailable) as caught:
        await client.query_qrcode_info(MID, qr, msg_id="m-down")
    error = caught.value
    retried = [r for r in caplog.records if "lookup attempt" in r.getMessage()]
    assert [r.levelname for r in retried] == ["INFO"] * error.attempts
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in loud] == [("bot.gateway.client", "WARNING")]
    line = loud[0].getMessage()
    assert line.startswith(f"lookup failed msgId=m-down attempts={error.attempts} elapsed_ms=")
    assert line.endswith(f": {error.reason}")


async def test_an_html_502_page_is_unavailable_with_a_useful_message(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """An HTML error page from a proxy says which status and that it was HTML."""
    gateway.post(QUERY_PATH).mock(
        return_value=httpx.Response(502, html="<html><body><h1>502 Bad Gateway</h1></body></html>")
    )
    with pytest.raises(GatewayUnavailable) as caught:
        await make_client(chinaums_timeout=0.3).query_qrcode_info(MID, QR)
    assert "HTTP 502" in str(caught.value)
    assert caught.value.attempts > 1


async def test_truncated_json_is_unavailable_with_a_useful_message(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A cut-off JSON body is reported as not JSON, with its first bytes."""
    gateway.post(QUERY_PATH).mock(
        return_value=httpx.Response(
            200,
            content=b'{"errCode":"SUCCESS","merName":"\xe6\xb5\x8b',
            headers={"Content-Type": "application/json"},
        )
    )
    with pytest.raises(GatewayUnavailable) as caught:
        await make_client(chinaums_timeout=0.3).query_qrcode_info(MID, QR)
    assert "not JSON" in caught.value.reason
    assert "errCode" in caught.value.reason


async def test_a_success_reply_with_an_unreadable_field_names_the_field(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A SUCCESS reply whose amount is garbage is unavailable, naming totalAmount; not retried."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok(SEED_REPLY | {"totalAmount": "two yuan"}))
    with pytest.raises(GatewayUnavailable, match="totalAmount"):
        await make_client().query_qrcode_info(MID, QR)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (412, {"errCode": "1000", "errInfo": "认证失败"}),
        (200, {"errCode": "BAD_SIGN", "errMsg": "签名错误"}),
        (200, {"errCode": "DENIED_IP"}),
        (200, {"errCode": "ABNORMAL_REQUEST_TIME"}),
        (401, {"errCode": "1001"}),
        (403, {"errCode": "FORBIDDEN"}),
    ],
    ids=["412-numeric", "bad-sign", "denied-ip", "clock", "401", "403"],
)
async def test_auth_and_configuration_failures_are_for_the_operator_and_not_retried(
    gateway: respx.MockRouter, make_client: ClientFactory, status: int, body: dict[str, Any]
) -> None:
    """Credentials, whitelist and clock problems raise GatewayAuthError after one call."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok(body, status))
    with pytest.raises(GatewayAuthError) as caught:
        await make_client().query_qrcode_info(MID, QR)
    assert route.call_count == 1
    assert caught.value.code == body["errCode"]
    assert caught.value.http_status == status


async def test_a_404_html_page_is_a_configuration_problem(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A wrong base URL (404, not JSON) is not retried and says HTTP 404."""
    gateway.post(QUERY_PATH).mock(return_value=httpx.Response(404, html="<h1>Not Found</h1>"))
    with pytest.raises(GatewayAuthError, match="HTTP 404"):
        await make_client().query_qrcode_info(MID, QR)


@pytest.mark.parametrize(
    ("mid", "qr", "field"),
    [
        ("8983401490000", "31942002268195125132885377", None),
        ("8983401490000051", QR, "mid"),
        ("898340149000005", "3194-2002", "qrCodeId"),
        ("898 340149000005", QR, "mid"),
        ("898340149000005", "x" * 33, "qrCodeId"),
        ("", QR, "mid"),
    ],
    ids=["ok-13-digits", "mid-too-long", "dash-in-id", "space-in-mid", "id-too-long", "empty-mid"],
)
async def test_input_no_gateway_accepts_is_rejected_before_any_io(
    gateway: respx.MockRouter, make_client: ClientFactory, mid: str, qr: str, field: str | None
) -> None:
    """Malformed ids raise InvalidInput naming the field, and nothing is sent."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok())
    if field is None:
        await make_client().query_qrcode_info(mid, qr)
        assert route.call_count == 1
        return
    with pytest.raises(InvalidInput) as caught:
        await make_client().query_qrcode_info(mid, qr)
    assert caught.value.field == field
    assert caught.value.example
    assert route.call_count == 0


async def test_qr_code_ids_with_letters_in_the_prefix_are_accepted(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """The 4-character source prefix may hold letters (147G...)."""
    route = gateway.post(QUERY_PATH).mock(return_value=ok())
    await make_client().query_qrcode_info(MID, "147G2002268195125132885377")
    assert json.loads(route.calls.last.request.content)["qrCodeId"] == "147G2002268195125132885377"


# --- access tokens ---------------------------------------------------------------------------


async def test_fifty_concurrent_lookups_on_a_cold_cache_make_one_token_call(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """Concurrent lookups share the one in-flight token request."""

    asked, release = asyncio.Event(), asyncio.Event()

    async def held_token(request: httpx.Request) -> httpx.Response:
        asked.set()
        await release.wait()
        return token_reply()

    token_route = gateway.post(TOKEN_PATH).mock(side_effect=held_token)
    query_route = gateway.post(QUERY_PATH).mock(return_value=ok())
    client = make_client(chinaums_auth="token")
    lookups = asyncio.gather(*(client.query_qrcode_info(MID, QR) for _ in range(50)))
    await asked.wait()  # the first lookup's token request is in flight; the others queue on it
    release.set()
    results = await lookups
    assert len(results) == 50
    assert token_route.call_count == 1
    assert query_route.call_count == 50
    assert {c.request.headers["Authorization"] for c in query_route.calls} == {
        f"OPEN-ACCESS-TOKEN AccessToken={TOKEN}"
    }


async def test_token_request_is_signed_and_never_carries_the_key(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """The token body has appId, Beijing timestamp, nonce, SHA256 and the plain-hash signature."""
    token_route = gateway.post(TOKEN_PATH).mock(return_value=token_reply())
    gateway.post(QUERY_PATH).mock(return_value=ok())
    await make_client(chinaums_auth="token").query_qrcode_info(MID, QR)
    sent = token_route.calls.last.request
    body = json.loads(sent.content)
    assert body["appId"] == APP_ID
    assert body["timestamp"] == "20261125120000"
    assert body["signMethod"] == "SHA256"
    assert body["signature"] == token_signature(
        app_id=APP_ID, timestamp=body["timestamp"], nonce=body["nonce"], app_key=APP_KEY
    )
    assert APP_KEY.encode() not in sent.content
    assert "Authorization" not in sent.headers


async def test_a_rejected_token_is_refreshed_once_and_the_lookup_retried_once(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """On 401 the client fetches a new token and asks again, once."""
    token_route = gateway.post(TOKEN_PATH).mock(
        side_effect=[token_reply("a" * 32), token_reply("b" * 32)]
    )
    seen: list[str] = []
    replies = [httpx.Response(401, json={"errCode": "1002", "errInfo": "token失效"}), ok()]

    def query(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"][-32:])
        return replies[len(seen) - 1]

    gateway.post(QUERY_PATH).mock(side_effect=query)
    info = await make_client(chinaums_auth="token").query_qrcode_info(MID, QR)
    assert info.err_code == "SUCCESS"
    assert token_route.call_count == 2
    assert seen == ["a" * 32, "b" * 32]


async def test_a_token_rejected_twice_ends_without_looping(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A second rejection is an auth error: two query calls, two token calls, no more."""
    token_route = gateway.post(TOKEN_PATH).mock(return_value=token_reply())
    query_route = gateway.post(QUERY_PATH).mock(
        return_value=httpx.Response(401, json={"errCode": "1002", "errInfo": "token失效"})
    )
    with pytest.raises(GatewayAuthError):
        await make_client(chinaums_auth="token").query_qrcode_info(MID, QR)
    assert query_route.call_count == 2
    assert token_route.call_count == 2


async def test_a_refused_token_request_is_an_auth_error(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """Wrong credentials at the token endpoint are for the operator; no query is sent."""
    gateway.post(TOKEN_PATH).mock(
        return_value=httpx.Response(200, json={"errCode": "1000", "errInfo": "签名错误"})
    )
    query_route = gateway.post(QUERY_PATH).mock(return_value=ok())
    with pytest.raises(GatewayAuthError, match="token request refused"):
        await make_client(chinaums_auth="token").query_qrcode_info(MID, QR)
    assert query_route.call_count == 0


async def test_cached_token_is_reused_across_lookups(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """Sequential lookups reuse the cached token."""
    token_route = gateway.post(TOKEN_PATH).mock(return_value=token_reply())
    gateway.post(QUERY_PATH).mock(return_value=ok())
    client = make_client(chinaums_auth="token")
    for _ in range(5):
        await client.query_qrcode_info(MID, QR)
    assert token_route.call_count == 1


async def test_the_eleventh_live_token_is_refused_as_too_many_tokens(
    sandbox_http: httpx.AsyncClient,
) -> None:
    """At the cap of ten live tokens, the error and next step say so, not "check the key"."""
    for _ in range(10):
        await sandbox_token(sandbox_http)
    with pytest.raises(GatewayAuthError) as caught:
        await sandbox_token(sandbox_http)
    assert "too many live access tokens for this appId" in str(caught.value)
    assert "the provider allows 10, each living an hour" in str(caught.value)
    assert caught.value.next_step == (
        "Wait for old tokens to expire (within the hour) "
        "or stop other processes that use this appId."
    )


async def test_a_token_mode_lookup_at_the_token_cap_says_so_and_sends_no_query(
    sandbox: SandboxGateway, sandbox_http: httpx.AsyncClient
) -> None:
    """Others hold all ten tokens: the lookup ends in the cap error after one token call."""
    for _ in range(10):
        await sandbox_token(sandbox_http)
    client = sandbox_client(sandbox_http, chinaums_auth="token")
    with pytest.raises(GatewayAuthError, match="too many live access tokens") as caught:
        await client.query_qrcode_info(MID, QR)
    assert "stop other processes that use this appId" in caught.value.next_step
    assert sandbox.token_requests == 11
    assert sandbox.query_requests == 0


@pytest.mark.parametrize(
    "info", ["AccessToken数量已达上限", "too many access tokens"], ids=["chinese", "english"]
)
async def test_only_a_refusal_about_the_token_limit_gets_the_token_limit_advice(
    gateway: respx.MockRouter, http: httpx.AsyncClient, info: str
) -> None:
    """An errInfo about the cap is recognised under any code; others keep the generic advice."""
    gateway.post(TOKEN_PATH).mock(
        side_effect=[
            httpx.Response(200, json={"errCode": "1010", "errInfo": info}),
            httpx.Response(200, json={"errCode": "1001", "errInfo": "AppId不存在"}),
        ]
    )
    errors = []
    for _ in range(2):
        with pytest.raises(GatewayAuthError) as caught:
            await fetch_token(
                http,
                base_url=GATEWAY,
                app_id=APP_ID,
                app_key=SecretStr(APP_KEY),
                wall_clock=lambda: FIXED_NOW,
            )
        errors.append(caught.value)
    at_limit, unknown_app = errors
    assert "too many live access tokens" in str(at_limit)
    assert info in str(at_limit)
    assert "stop other processes" in at_limit.next_step
    assert "too many" not in str(unknown_app)
    assert unknown_app.next_step == (
        "Tell the bot's operator: check the app id, key, token and whitelist."
    )


# --- secrets -----------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["body-sig", "token"])
async def test_no_secret_reaches_logs_reprs_or_exceptions(
    gateway: respx.MockRouter,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    auth: str,
) -> None:
    """App key, access token and Authorization header appear in no log line, repr or error."""
    caplog.set_level(logging.DEBUG)
    gateway.post(TOKEN_PATH).mock(return_value=token_reply())
    query_route = gateway.post(QUERY_PATH).mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            ok(),
            ok({"errCode": "NO_BILL", "errMsg": "无"}),
            ok({"errCode": "BAD_SIGN"}),
        ]
    )
    client = make_client(chinaums_auth=auth)
    texts = [repr(client)]
    await client.query_qrcode_info(MID, QR)
    texts += [repr(client)]  # the token cache's repr included, now holding a token
    for error_type in (GatewayRejected, GatewayAuthError):
        with pytest.raises(error_type) as caught:
            await client.query_qrcode_info(MID, QR)
        texts += [str(caught.value), repr(caught.value)]
    header = query_route.calls.last.request.headers["Authorization"]
    texts += [repr(query_route.calls.last.request.headers)]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.__dict__) for record in caplog.records]
    everything = "\n".join(texts)
    assert caplog.records, "the lookup should have logged something"
    for secret in (APP_KEY, TOKEN, header, header.split("Signature=")[-1].strip('"')):
        assert secret not in everything


# --- bills/query ----------------------------------------------------------------------------

SEED_BILL = BillRef(
    mid=MID,
    tid="00000001",
    inst_mid="QRPAYDEFAULT",
    bill_no="10A31689733046250",
    bill_date=date(2020, 2, 26),
)
BILL_REPLY = {
    "errCode": "SUCCESS",
    "billNo": "10A31689733046250",
    "billDate": "2020-02-26",
    "billStatus": "PAID",
    "totalAmount": 2,
    "billPayment": {"payTime": "2020-02-26 14:02:11", "targetSys": "Alipay 2.0"},
}


async def test_a_bill_is_asked_with_its_own_fields_signed_as_sent_and_no_system_id(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """bills/query carries the bill's mid, tid, instMid, number and own date; no systemId,
    even when the client has one for query-qrcode-info; the signature covers the bytes sent."""
    route = gateway.post(BILLS_PATH).mock(return_value=ok(BILL_REPLY))
    client = make_client(chinaums_system_id="35325423", chinaums_src_reserve="测试")
    info = await client.query_bill(SEED_BILL, msg_id="b-1")
    assert info.state == "paid"
    sent = route.calls.last.request
    assert json.loads(sent.content) == {
        "requestTimestamp": "2026-11-25 12:00:00",
        "mid": MID,
        "tid": "00000001",
        "instMid": "QRPAYDEFAULT",
        "billNo": "10A31689733046250",
        "billDate": "2020-02-26",
        "msgId": "b-1",
        "srcReserve": "测试",
    }
    parts = parse_body_sig_header(sent.headers["Authorization"])
    assert parts is not None
    assert parts.signature == body_signature(
        app_id=APP_ID,
        app_key=APP_KEY,
        timestamp=parts.timestamp,
        nonce=parts.nonce,
        body=sent.content,
    )


async def test_a_bills_5xx_is_retried_and_its_attempts_recorded(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """A 503 is retried as for a QR code; attempts hold both tries and the last raw reply."""
    route = gateway.post(BILLS_PATH).mock(
        side_effect=[httpx.Response(503, text="busy"), ok(BILL_REPLY)]
    )
    attempts = Attempts(msg_id=None)
    info = await make_client().query_bill(SEED_BILL, attempts=attempts)
    assert info.bill_payment is not None
    assert route.call_count == 2
    assert [t.status for t in attempts.tries] == [503, 200]
    assert (attempts.status, attempts.reply) == (200, BILL_REPLY)
    assert attempts.msg_id == json.loads(route.calls.last.request.content)["msgId"]


async def test_no_such_bill_is_rejected_once_with_its_raw_reply_kept(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """NO_BILL is a GatewayRejected, not retried; the operator's raw reply is kept."""
    refusal = {"errCode": "NO_BILL", "errMsg": "无法找到指定的账单"}
    route = gateway.post(BILLS_PATH).mock(return_value=ok(refusal))
    attempts = Attempts(msg_id=None)
    with pytest.raises(GatewayRejected) as caught:
        await make_client().query_bill(SEED_BILL, msg_id="b-2", attempts=attempts)
    assert (caught.value.code, caught.value.msg_id) == ("NO_BILL", "b-2")
    assert route.call_count == 1
    assert attempts.reply == refusal


async def test_a_bills_failure_streak_opens_the_breaker_the_qr_lookup_sees(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """One breaker per gateway: bills/query failing opens it for query-qrcode-info too."""
    gateway.post(BILLS_PATH).mock(return_value=httpx.Response(502, text="down"))
    qr_route = gateway.post(QUERY_PATH).mock(return_value=ok())
    client = make_client(qrinfo_breaker_failures=2, chinaums_timeout=0.3)
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            await client.query_bill(SEED_BILL)
    with pytest.raises(GatewayBreakerOpen):
        await client.query_qrcode_info(MID, QR)
    assert qr_route.call_count == 0


async def test_a_bills_timeout_shorter_than_the_clients_is_the_deadline(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """timeout= cuts the bill's call at its own budget, well inside the client's 2 s."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")

    gateway.post(BILLS_PATH).mock(side_effect=hang)
    started = time.monotonic()
    async with asyncio.timeout(30):  # a bound against a broken deadline, not a measurement
        with pytest.raises(GatewayUnavailable) as caught:
            await make_client(chinaums_timeout=2.0).query_bill(SEED_BILL, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert "within 0.3 s" in str(caught.value)


async def test_a_bills_timeout_longer_than_the_clients_is_cut_to_the_clients(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """No caller stretches the client's own timeout."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")

    gateway.post(BILLS_PATH).mock(side_effect=hang)
    async with asyncio.timeout(30):
        with pytest.raises(GatewayUnavailable) as caught:
            await make_client(chinaums_timeout=1.0).query_bill(SEED_BILL, timeout=20)
    assert "within 1 s" in str(caught.value)


async def test_the_bills_call_uses_the_qr_lookups_access_token(
    gateway: respx.MockRouter, make_client: ClientFactory
) -> None:
    """One token serves both APIs."""
    token_route = gateway.post(TOKEN_PATH).mock(return_value=token_reply())
    gateway.post(QUERY_PATH).mock(return_value=ok())
    bills_route = gateway.post(BILLS_PATH).mock(return_value=ok(BILL_REPLY))
    client = make_client(chinaums_auth="token")
    await client.query_qrcode_info(MID, QR)
    await client.query_bill(SEED_BILL)
    assert token_route.call_count == 1
    assert bills_route.calls.last.request.headers["Authorization"] == (
        f"OPEN-ACCESS-TOKEN AccessToken={TOKEN}"
    )
