"""The provider's own examples (the signing test vector, the seed page's reply), a breaker
on clocks a test moves, and loopback servers for the tests that need a real socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from aiohttp.abc import AbstractResolver, ResolveResult

from bot.gateway.breaker import Breaker

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def loopback_server(handler: Handler) -> AsyncIterator[str]:
    """Serve *handler* on a fresh loopback port; yield the base URL."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


class NoSuchHost(AbstractResolver):
    """Answers every lookup as getaddrinfo does for an unknown name (the tests stay offline)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        pass


# The official test vector, from the provider's authentication guide.
V_APP_ID = "12345678901234567890123456789012"
V_APP_KEY = "67890123456789012345678901234567"
V_TIMESTAMP = "20170101120000"
V_NONCE = "09876543210987654321098765432109"
V_BODY = b"A"
V_BODY_SHA256 = "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd"
V_SIGNATURE = "GINsCTyNKTpEI9KXO16KqZJ64fOyAytEKl8aaR/Dy08="
V_HEADER = (
    f'OPEN-BODY-SIG AppId="{V_APP_ID}", Timestamp="{V_TIMESTAMP}", '
    f'Nonce="{V_NONCE}", Signature="{V_SIGNATURE}"'
)

SEED_REPLY = {
    "errCode": "SUCCESS",
    "requestTimestamp": "2020-02-26 14:16:20",
    "mid": "898340149000005",
    "tid": "00000001",
    "instMid": "QRPAYDEFAULT",
    "merName": "测试商户",
    "qrCodeUrl": "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
    "errMsg": "查询二维码静态信息成功",
    "msgId": "800000000010",
    "srcReserve": "test",
    "billNo": "10A31689733046250",
    "billDate": "2020-02-26",
    "billDesc": "test create qrCode",
    "totalAmount": "2",
    "goods": [
        {
            "goodsId": "001",
            "goodsName": "鸡蛋",
            "quantity": "1",
            "price": "1",
            "goodsCategory": "food meterial",
            "body": "two eggs",
        }
    ],
    "memberId": "20200226001",
    "counterNo": "02",
    "expireTime": "2030-02-26 13:51:25",
    "notifyUrl": "http://www.test.com/notify",
    "returnUrl": "http://www.test.com/return",
    "installmentNumber": "12",
}


class Clocks:
    """A monotonic clock and a wall clock that move together, by hand."""

    def __init__(self) -> None:
        self.seconds = 100.0
        self.wall = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.seconds += seconds
        self.wall += timedelta(seconds=seconds)


def make_breaker(clocks: Clocks, *, failures: int = 3, cooldown: float = 30.0) -> Breaker:
    return Breaker(
        failures=failures, cooldown=cooldown, clock=clocks.monotonic, wall_clock=clocks.now
    )


def state_of(breaker: Breaker) -> str:
    """The breaker's state, read afresh (a plain str: mypy would narrow ``breaker.state``)."""
    return breaker.state
