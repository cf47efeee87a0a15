"""The ``qrinfo`` command: loads Settings once and runs one subcommand.

Exit codes: 0 found / ok, 2 bad input, 3 rejected by the gateway,
4 gateway unavailable or misconfigured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.gateway.client import create_client, new_http_client
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
)
from bot.gateway.models import QrCodeInfo, yuan

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_REJECTED = 3
EXIT_UNAVAILABLE = 4


def format_summary(info: QrCodeInfo) -> str:
    """A few readable lines about a QR code, for a terminal."""
    lines = [f"merchant   {info.mer_name or '(no name)'}  mid {info.mid or '-'}"]
    if info.total_amount is not None:
        lines.append(f"amount     ¥{yuan(info.total_amount)}")
    for goods in info.goods:
        quantity = "?" if goods.quantity is None else f"{goods.quantity.normalize():f}"
        price = "" if goods.price is None else f" @ ¥{yuan(goods.price)}"
        lines.append(f"goods      {goods.goods_name or '(unnamed)'} × {quantity}{price}")
    if info.expire_time is not None:
        lines.append(f"expires    {info.expire_time:%Y-%m-%d %H:%M:%S} (UTC+8)")
    if info.qr_code_url:
        lines.append(f"QR URL     {info.qr_code_url}")
    lines.append(f"msgId      {info.msg_id or '-'}")
    return "\n".join(lines)


async def _query(settings: Settings, mid: str, qr_code_id: str, *, as_json: bool) -> int:
    http = new_http_client()
    try:
        client = create_client(settings, http)
        info = await client.query_qrcode_info(mid, qr_code_id)
    except InvalidInput as exc:
        return _fail(EXIT_BAD_INPUT, f"bad input: {exc}")
    except GatewayRejected as exc:
        return _fail(EXIT_REJECTED, f"rejected by the gateway: {exc}\n{exc.next_step}")
    except GatewayAuthError as exc:
        return _fail(EXIT_UNAVAILABLE, f"gateway misconfigured: {exc}\n{exc.next_step}")
    except GatewayUnavailable as exc:
        return _fail(EXIT_UNAVAILABLE, f"{exc} (msgId {exc.msg_id})")
    finally:
        await http.aclose()
    if as_json:
        print(json.dumps(info.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
    else:
        print(format_summary(info))
    return EXIT_OK


def _fail(code: int, message: str, stream: TextIO = sys.stderr) -> int:
    print(message, file=stream)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qrinfo", description="Look inside Chinaums payment QR codes."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log lookups to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    query = commands.add_parser("query", help="look one QR code up and print it")
    query.add_argument("mid", help="merchant number, e.g. 898340149000005")
    query.add_argument("qr_code_id", help="QR code id, e.g. 31942002268195125132885377")
    query.add_argument("--json", action="store_true", help="print the parsed reply as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    if args.command == "query":
        return asyncio.run(_query(settings, args.mid, args.qr_code_id, as_json=args.json))
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
