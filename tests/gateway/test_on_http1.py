"""The path around httpx (bot/gateway/on_http1.py) beside httpx's own, over real loopback
sockets: the same bytes on the wire, the same outcome for every reply and failure, and taken
only where httpx would have handed the call to httpx-aiohttp's transport."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import re
import socket
import ssl
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import respx
import trustme
from httpx_aiohttp import AiohttpTransport
from pydantic import SecretStr

from bot.gateway.attempts import Attempts
from bot.gateway.bills import BillRef
from bot.gateway.client import QrCodeClient, create_client
from bot.gateway.config import GatewayConfig
from bot.gateway.errors import GatewayAuthError, GatewayUnavailable
from bot.gateway.on_http1 import Http1Reply
from bot.gateway.protocol import QUERY_PATH, TOKEN_PATH
from bot.gateway.transport import new_http_client
from bot.http1 import Http1Pool
from bot.sandbox.transport import SandboxTransport
from tests.gateway.helpers import SEED_REPLY, Handler, NoSuchHost, loopback_server
from tests.helpers import APP_ID, APP_KEY, FIXED_NOW

MID = "898340149000005"
QR = "31942002268195125132885377"
NONCE = "0123456789abcdef0123456789abcdef"
BILL = BillRef(
    mid=MID,
    tid="00000001",
    inst_mid="QRPAYDEFAULT",
    bill_no="10A3168973",
    bill_date=date(2020, 2, 26),
)
ELAPSED = re.compile(r", [\d.]+ s\)$")
BILL_REPLY = {"errCode": "SUCCESS", "billNo": "10A3168973", "billStatus": "PAID"}


def config(url: str, *, timeout: float = 3.0, auth: str = "body-sig") -> GatewayConfig:
    return GatewayConfig(
        base_url=url,
        app_id=APP_ID,
        app_key=SecretStr(APP_KEY),
        auth=auth,  # type: ignore[arg-type]
        timeout=timeout,
        max_in_flight=10,
        system_id=None,
        src_reserve=None,
        breaker_failures=100,
        breaker_cooldown=30.0,
    )


def gateway_client(
    url: str, http: httpx.AsyncClient, *, on_http1: bool, timeout: float = 3.0
) -> QrCodeClient:
    """A body-signed client on the fixed clock and nonce, so both paths sign alike."""
    return create_client(
        config(url, timeout=timeout),
        http,
        wall_clock=lambda: FIXED_NOW,
        nonce=lambda: NONCE,
        on_http1=on_http1,
    )


def counting_sends(http: httpx.AsyncClient) -> list[httpx.Request]:
    """The requests that go through httpx's own send() from now on."""
    sent: list[httpx.Request] = []
    send = http.send

    async def counted(request: httpx.Request, **options: Any) -> httpx.Response:
        sent.append(request)
        return await send(request, **options)

    http.send = counted  # type: ignore[method-assign]
    return sent


# --- a gateway that answers what it is told, and keeps what it was sent ----------------------


def reply(
    status: int = 200,
    body: bytes | dict[str, Any] = SEED_REPLY,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    *,
    length: bool = True,
) -> bytes:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    lines = [f"HTTP/1.1 {status} Whatever", *(f"{k}: {v}" for k, v in headers)]
    if length:
        lines.append(f"Content-Length: {len(content)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + content


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's bytes as they arrived: the head, then the body its length says."""
    head = await reader.readuntil(b"\r\n\r\n")
    lengths = [
        line.split(b":", 1)[1]
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    ]
    return head + await reader.readexactly(int(lengths[0]) if lengths else 0)


@dataclass
class Recorder:
    """Answers every request with *answer*, on kept-alive connections, keeping its bytes."""

    answer: bytes
    requests: list[bytes]

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                self.requests.append(await read_request(reader))
                writer.write(self.answer)
                await writer.drain()
        except asyncio.IncompleteReadError:
            writer.close()


def answering(answer: bytes) -> Handler:
    return Recorder(answer, [])


async def token_then_seed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers a token request with a token, and every other request with the seed reply."""
    token = {"errCode": "0000", "accessToken": "tok-1", "expiresIn": 3600}
    try:
        while True:
            request = await read_request(reader)
            asked_for_token = request.startswith(b"POST " + TOKEN_PATH.encode())
            writer.write(reply(body=token if asked_for_token else SEED_REPLY))
            await writer.drain()
    except asyncio.IncompleteReadError:
        writer.close()


async def closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.close()


async def truncates(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b'{"errCode": "SUC')
    await writer.drain()
    writer.close()


async def resets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await read_request(reader)
    await reader.read()  # until the client gives up and closes
    writer.close()


# --- one lookup's outcome, on either path --------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """All a caller and an operator can see of one lookup (the times aside)."""

    result: object  # the reply's model as a dict, or the error's class and words
    tries: list[tuple[int | None, str | None]]
    count: int
    status: int | None
    reply: object
    httpx_sends: int


def summary(result: object) -> object:
    if isinstance(result, GatewayUnavailable):  # its words end in the elapsed time
        return type(result).__name__, result.reason, result.attempts
    if isinstance(result, BaseException):
        return type(result).__name__, str(result)
    return type(result).__name__, result.model_dump()  # type: ignore[attr-defined]


async def lookup(
    url: str,
    *,
    on_http1: bool,
    budget: float = 3.0,
    bill: bool = False,
    http: Callable[[], httpx.AsyncClient] = new_http_client,
) -> Outcome:
    """One lookup (a QR code, or a bill) within *budget* s, on a fresh production client."""
    client_http = http()
    sends = counting_sends(client_http)
    client = gateway_client(url, client_http, on_http1=on_http1, timeout=budget)
    attempts = Attempts(msg_id="pin-1")
    result: object
    try:
        if bill:
            result = await client.query_bill(BILL, msg_id="pin-1", attempts=attempts)
        else:
            result = await client.query_qrcode_info(MID, QR, msg_id="pin-1", attempts=attempts)
    except Exception as exc:  # noqa: BLE001  # whatever it is, both paths must agree
        result = exc
    finally:
        await client_http.aclose()
    # A GatewayUnavailable's words end in its elapsed time, which is not the path's to pin.
    tries = [(t.status, t.failure and ELAPSED.sub(" s)", t.failure)) for t in attempts.tries]
    return Outcome(
        summary(result), tries, attempts.count, attempts.status, attempts.reply, len(sends)
    )


async def both_paths(url: str, **options: Any) -> Outcome:
    """The lookup through httpx and around it, at once; they must agree. The one around it."""
    through_httpx, around_httpx = await asyncio.gather(
        lookup(url, on_http1=False, **options), lookup(url, on_http1=True, **options)
    )
    assert around_httpx.httpx_sends == 0
    assert through_httpx.httpx_sends == through_httpx.count
    assert around_httpx == Outcome(**{**through_httpx.__dict__, "httpx_sends": 0})
    return around_httpx


JSON = (("Content-Type", "application/json"),)
GZIP = (*JSON, ("Content-Encoding", "gzip"))
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"".join(
        f"{len(part):x}\r\n".encode() + part + b"\r\n"
        for part in (json.dumps(SEED_REPLY).encode()[:50], json.dumps(SEED_REPLY).encode()[50:])
    )
    + b"0\r\n\r\n"
)
SEED_GZIP = gzip.compress(json.dumps(SEED_REPLY).encode())
HTML, TEXT = (("Content-Type", "text/html"),), (("Content-Type", "text/plain"),)
TWO_TYPES = (("Content-Type", "text/a"), ("Content-Type", "text/b"))
REPLIES = [
    pytest.param(reply(), "QrCodeInfo", id="success"),
    pytest.param(CHUNKED, "QrCodeInfo", id="chunked"),
    pytest.param(b"HTTP/1.1 100 Continue\r\n\r\n" + reply(), "QrCodeInfo", id="continue-first"),
    pytest.param(reply(body=SEED_GZIP, headers=GZIP), "QrCodeInfo", id="gzip"),
    pytest.param(reply(body=b"not gzip", headers=GZIP), "GatewayUnavailable", id="broken-gzip"),
    pytest.param(
        reply(body={"errCode": "NO_BILL", "errMsg": "无"}), "GatewayRejected", id="no-bill"
    ),
    pytest.param(reply(412, {"errCode": "1000", "errInfo": "bad"}), "GatewayAuthError", id="412"),
    pytest.param(reply(body={"errCode": "SYSTEM_BUSY"}), "GatewayUnavailable", id="busy-code"),
    pytest.param(reply(503, {"errCode": "SYSTEM_BUSY"}), "GatewayUnavailable", id="http-503"),
    pytest.param(reply(502, b"<html>bad</html>", HTML), "GatewayUnavailable", id="html-502"),
    pytest.param(reply(200, b"plain words", TEXT), "GatewayUnavailable", id="not-json"),
    pytest.param(reply(200, b"?", TWO_TYPES), "GatewayUnavailable", id="two-content-types"),
    pytest.param(reply(200, b"?", ()), "GatewayUnavailable", id="no-content-type"),
    pytest.param(reply(body={"mid": MID}), "GatewayUnavailable", id="no-errcode"),
    pytest.param(
        reply(body={**SEED_REPLY, "expireTime": "soon"}), "GatewayUnavailable", id="bad-field"
    ),
    pytest.param(closes, "GatewayUnavailable", id="closes-unanswered"),
    pytest.param(truncates, "GatewayUnavailable", id="truncated-body"),
    pytest.param(resets, "GatewayUnavailable", id="reset"),
]


@pytest.mark.parametrize(("answer", "kind"), REPLIES)
async def test_every_reply_ends_alike_on_both_paths(answer: bytes | Handler, kind: str) -> None:
    """Whatever the gateway answers, the path around httpx ends as httpx's does: the same model or
    error, words, attempts, statuses and the reply kept for Raw reply."""
    async with loopback_server(answer if callable(answer) else answering(answer)) as url:
        outcome = await both_paths(url)
    assert outcome.result[0] == kind  # type: ignore[index]


@pytest.mark.parametrize("answer", [reply(body=BILL_REPLY), closes], ids=["paid", "closes"])
async def test_a_bill_ends_alike_on_both_paths(answer: bytes | Handler) -> None:
    """bills/query (a bounded call) takes the path around httpx too, and ends as through httpx."""
    async with loopback_server(answer if callable(answer) else answering(answer)) as url:
        await both_paths(url, bill=True)


async def test_a_refused_connection_ends_alike(refusing_url: str) -> None:
    """Connection refused: the same words, three times, on both paths."""
    outcome = await both_paths(refusing_url)
    assert outcome.result == (
        "GatewayUnavailable",
        f"cannot reach the gateway at {refusing_url}: connection refused",
        3,
    )


async def no_such_host(host: str, port: int) -> list[tuple[str, int]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def test_an_unknown_host_ends_alike() -> None:
    """A DNS failure reads as host not found on both paths: httpx's, in its aiohttp session's
    resolver; the other, in its own connections' lookup."""

    def http() -> httpx.AsyncClient:
        client = new_http_client()
        resolver = NoSuchHost()
        transport = client._transport
        assert isinstance(transport, AiohttpTransport)
        transport.client = lambda: aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver)
        )
        client.connections = Http1Pool(resolve=no_such_host)  # type: ignore[attr-defined]
        return client

    outcome = await both_paths("http://gateway.invalid", http=http)
    assert outcome.result[1] == "cannot reach the gateway at http://gateway.invalid: host not found"  # type: ignore[index]


async def test_tls_to_a_plain_server_ends_alike() -> None:
    """https:// to a plain-HTTP port: TLS failed, on both paths."""

    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)  # a ClientHello, read as if it were a request
        writer.write(reply(400, b""))
        await writer.drain()
        writer.close()

    async with loopback_server(plain_http) as url:
        outcome = await both_paths(url.replace("http://", "https://"))
    assert "TLS failed" in outcome.result[1]  # type: ignore[index]


async def test_a_gateway_whose_certificate_ssl_cert_file_trusts_is_reached_alike(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Over TLS both paths verify with httpx's roots, SSL_CERT_FILE included: a private
    authority the operator names is trusted around httpx too."""
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(served)
    authority.cert_pem.write_to_path(str(tmp_path / "roots.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "roots.pem"))
    server = await asyncio.start_server(answering(reply()), "127.0.0.1", 0, ssl=served)
    try:
        outcome = await both_paths(f"https://localhost:{server.sockets[0].getsockname()[1]}")
    finally:
        server.close()
        await server.wait_closed()
    assert outcome.result[0] == "QrCodeInfo"  # type: ignore[index]


async def test_a_hang_after_the_request_ends_alike() -> None:
    """No answer: the attempt's read timeout (1 s) as httpx-aiohttp maps it, then the deadline."""
    async with loopback_server(never_answers) as url:
        outcome = await both_paths(url, budget=1.25)
    assert outcome.result == (
        "GatewayUnavailable",
        f"no answer from the gateway at {url} within 1 s",
        2,
    )


async def test_a_connection_that_never_opens_ends_alike(full_backlog_url: str) -> None:
    """No connection: the attempt's connect timeout (1 s), then the deadline."""
    outcome = await both_paths(full_backlog_url, budget=1.25)
    assert outcome.result == (
        "GatewayUnavailable",
        f"no connection to the gateway at {full_backlog_url} within 1 s",
        2,
    )


# --- the bytes on the wire -----------------------------------------------------------------


async def recorded(answer: bytes, *, on_http1: bool, bill: bool = False) -> tuple[list[bytes], int]:
    """What a gateway received of two lookups (the second on the kept-alive connection), and
    how many went through httpx's send()."""
    recorder = Recorder(answer, [])
    async with loopback_server(recorder) as url:
        http = new_http_client()
        sends = counting_sends(http)
        client = gateway_client(url, http, on_http1=on_http1)
        for msg_id in ("wire-1", "wire-2"):
            if bill:
                await client.query_bill(BILL, msg_id=msg_id)
            else:
                await client.query_qrcode_info(MID, QR, msg_id=msg_id)
        await http.aclose()
    return [r.replace(url.split("//")[1].encode(), b"HOST") for r in recorder.requests], len(sends)


@pytest.mark.parametrize("bill", [False, True], ids=["query-qrcode-info", "bills-query"])
async def test_both_paths_put_the_same_bytes_on_the_wire(bill: bool) -> None:
    """Request line, every header (names as sent, values, order) and the body are the same
    bytes whichever path sent them: what the gateway (or a firewall in front) can see."""
    answer = reply(body=BILL_REPLY if bill else SEED_REPLY)
    through_httpx, sends_off = await recorded(answer, on_http1=False, bill=bill)
    around_httpx, sends_on = await recorded(answer, on_http1=True, bill=bill)
    assert (sends_off, sends_on) == (2, 0)
    assert around_httpx == through_httpx
    head = around_httpx[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert (
        head[0]
        == b"POST /v1/netpay/bills/" + (b"query" if bill else b"query-qrcode-info") + b" HTTP/1.1"
    )
    assert [line.split(b":")[0] for line in head[1:]] == [
        b"host", b"accept-encoding", b"connection", b"user-agent",
        b"content-type", b"accept", b"content-length", b"authorization",
    ]  # fmt: skip


async def test_a_cookie_the_gateway_sets_goes_back_as_through_httpx() -> None:
    """A Set-Cookie lands in httpx's jar from the path around httpx too; from then on httpx carries
    the calls, so the next request sends the cookie exactly as httpx alone would."""
    answer = reply(headers=(*JSON, ("Set-Cookie", "route=b7; Path=/")))
    through_httpx, sends_off = await recorded(answer, on_http1=False)
    around_httpx, sends_on = await recorded(answer, on_http1=True)
    assert (sends_off, sends_on) == (2, 1)
    assert around_httpx == through_httpx
    assert b"\r\ncookie: route=b7\r\n" in around_httpx[1]


# --- where httpx keeps the call -------------------------------------------------------------


async def test_a_test_transport_keeps_the_call_on_httpx() -> None:
    """A client on a given transport (tests' MockTransport) is never gone around."""
    http = new_http_client(
        httpx.MockTransport(lambda request: httpx.Response(200, json=SEED_REPLY))
    )
    sends = counting_sends(http)
    info = await gateway_client("https://gateway.test", http, on_http1=True).query_qrcode_info(
        MID, QR
    )
    assert (info.mid, len(sends)) == (SEED_REPLY["mid"], 1)


async def test_respx_still_intercepts_the_production_client() -> None:
    """respx replaces the transport httpx picks for a URL: the call stays on httpx for it."""
    http = new_http_client()
    sends = counting_sends(http)
    with respx.mock(using="httpx") as router:
        router.post("https://gateway.test" + QUERY_PATH).respond(json=SEED_REPLY)
        await gateway_client("https://gateway.test", http, on_http1=True).query_qrcode_info(MID, QR)
    assert len(sends) == 1
    await http.aclose()


async def test_a_mounted_url_stays_on_httpx_and_the_others_go_around_it() -> None:
    """The in-process sandbox mounted beside a real gateway keeps its URL; the real one's go
    around httpx."""
    async with loopback_server(answering(reply())) as url:
        http = new_http_client(mounts={"http://sandbox.invalid": SandboxTransport()})
        sends = counting_sends(http)
        # The sandbox answers: it knows only its own developer appId.
        with pytest.raises(GatewayAuthError, match=r"HTTP 412, errCode 1001: .*unknown appId"):
            await gateway_client("http://sandbox.invalid", http, on_http1=True).query_qrcode_info(
                MID, QR
            )
        mounted = len(sends)
        await gateway_client(url, http, on_http1=True).query_qrcode_info(MID, QR)
        await http.aclose()
    assert (mounted, len(sends)) == (1, 1)


async def test_a_proxy_from_the_environment_keeps_the_call_on_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PROXY mounts a proxying transport: httpx carries the call to it."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    async with loopback_server(answering(reply())) as url:
        outcome = await lookup(url, on_http1=True)  # to the proxy, which refuses
    assert outcome.httpx_sends == outcome.count == 3


async def test_token_mode_stays_on_httpx() -> None:
    """OPEN-ACCESS-TOKEN refreshes and retries inside httpx's auth flow: the token request and
    the lookup both go through httpx's send(), on the production client."""
    async with loopback_server(token_then_seed) as url, new_http_client() as http:
        sends = counting_sends(http)
        await create_client(config(url, auth="token"), http).query_qrcode_info(MID, QR)
    # The lookup's send() asks for the token inside it, through httpx's send() too.
    assert [request.url.path for request in sends] == [QUERY_PATH, TOKEN_PATH]


class _BrokenFilter(logging.Filter):
    """A log filter that raises, as a broken handler or filter of an operator's might."""

    def filter(self, record: logging.LogRecord) -> bool:
        raise LookupError("a broken log filter")


def stalls_first() -> Handler:
    """A gateway whose first answer stops halfway through its body (the connection stays
    open until the client closes it); it answers every later connection whole."""
    first = True

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal first
        if not first:
            await answering(reply())(reader, writer)
            return
        first = False
        await read_request(reader)
        writer.write(reply()[:-10])
        await writer.drain()
        await reader.read()  # until the client gives up the connection
        writer.close()

    return handler


async def test_an_answer_that_stalls_halfway_gives_the_connection_back() -> None:
    """A body that stops coming ends the attempt at its read limit and closes that
    connection: the next call on a pool of one gets a connection."""
    async with (
        loopback_server(stalls_first()) as url,
        new_http_client(max_connections=1) as http,
    ):
        client = gateway_client(url, http, on_http1=True, timeout=0.5)
        with pytest.raises(GatewayUnavailable, match=r"no answer .* within 0\.5 s"):
            await client.query_qrcode_info(MID, QR)
        info = await client.query_qrcode_info(MID, QR)
    assert info.mid == SEED_REPLY["mid"]


async def test_a_failure_after_the_answer_gives_the_connection_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever raises once the answer is in (here httpx's log line) leaves no connection
    taken: the next call on a pool of one gets one."""
    broken, httpx_log = _BrokenFilter(), logging.getLogger("httpx")
    async with (
        loopback_server(answering(reply())) as url,
        new_http_client(max_connections=1) as http,
    ):
        client = gateway_client(url, http, on_http1=True, timeout=1.0)
        httpx_log.addFilter(broken)
        try:
            with caplog.at_level(logging.INFO, logger="httpx"), pytest.raises(LookupError) as err:
                await client.query_qrcode_info(MID, QR)
        finally:
            httpx_log.removeFilter(broken)
        info = await client.query_qrcode_info(MID, QR)
    assert (info.mid, str(err.value)) == (SEED_REPLY["mid"], "a broken log filter")


async def test_after_a_call_the_httpx_client_is_as_httpx_leaves_it() -> None:
    """After one lookup on either path, the process's httpx client is opened as its send()
    leaves it: it cannot be entered any more, it closes, and then it refuses calls alike."""
    seen = []
    async with loopback_server(answering(reply())) as url:
        for on_http1 in (False, True):
            http = new_http_client()
            client = gateway_client(url, http, on_http1=on_http1)
            await client.query_qrcode_info(MID, QR)
            with pytest.raises(RuntimeError) as entered:
                async with http:
                    pass
            await http.aclose()
            with pytest.raises(RuntimeError) as called:
                await client.query_qrcode_info(MID, QR)
            seen.append((str(entered.value), http.is_closed, str(called.value)))
    assert (
        seen[0]
        == seen[1]
        == (
            "Cannot open a client instance more than once.",
            True,
            "Cannot send a request, as the client has been closed.",
        )
    )


async def test_a_closed_client_fails_as_httpx_says() -> None:
    """After the process's client is closed, both paths raise httpx's own RuntimeError."""
    outcomes = []
    for on_http1 in (False, True):
        http = new_http_client()
        await http.aclose()
        client = gateway_client("http://127.0.0.1:9", http, on_http1=on_http1)
        with pytest.raises(RuntimeError) as caught:
            await client.query_qrcode_info(MID, QR)
        outcomes.append(str(caught.value))
    assert outcomes[0] == outcomes[1] == "Cannot send a request, as the client has been closed."


# --- what is logged, and what never is -------------------------------------------------------


async def test_httpx_request_line_is_logged_alike(caplog: pytest.LogCaptureFixture) -> None:
    """The INFO line httpx writes for each request (docs/operations.md) comes from the path
    around httpx too, word for word."""
    lines = []
    async with loopback_server(answering(reply(503, b"busy"))) as url:
        for on_http1 in (False, True):
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="httpx"):
                await lookup(url, on_http1=on_http1)
            lines.append([r.getMessage() for r in caplog.records if r.name == "httpx"])
    assert lines[0] == lines[1]
    assert lines[1][0] == f'HTTP Request: POST {url}{QUERY_PATH} "HTTP/1.1 503 Whatever"'


async def test_the_key_and_signature_show_nowhere(
    caplog: pytest.LogCaptureFixture, refusing_url: str
) -> None:
    """Neither the app key nor the Authorization header appears in a repr, an error or a log
    line of the path around httpx."""
    caplog.set_level(logging.DEBUG)
    async with loopback_server(answering(reply(503, b"busy"))) as url, new_http_client() as http:
        client = gateway_client(url, http, on_http1=True)
        answered = await lookup(url, on_http1=True)
    refused = await lookup(refusing_url, on_http1=True)
    reply_repr = repr(Http1Reply(200, b"{}", ((b"Content-Type", b"application/json"),)))
    seen = " ".join(
        [
            caplog.text,
            repr(client),
            repr(client._http1_path),
            reply_repr,
            str(answered),
            str(refused),
        ]
    )
    assert APP_KEY not in seen
    assert "OPEN-BODY-SIG" not in seen
    assert "Signature" not in seen


async def test_a_reply_whose_encoding_is_broken_is_a_failed_attempt_in_one_line() -> None:
    """Content-Encoding gzip over bytes that are not: retried, then the gateway unavailable,
    said in words, never an unexpected error (on either path: both_paths compares them)."""
    answer = answering(reply(body=b"not gzip", headers=GZIP))
    async with loopback_server(answer) as url:
        outcome = await both_paths(url)
    assert outcome.result[0] == "GatewayUnavailable"  # type: ignore[index]
    assert "sent a reply that cannot be decoded" in str(outcome.result)
    assert outcome.count > 1
