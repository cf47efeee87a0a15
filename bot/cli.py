"""The ``qrinfo`` command: loads Settings once and runs one subcommand.

Exit codes: 0 found / ok, 1 the output could not be written, 2 bad input
(arguments included), 3 rejected by the gateway, 4 gateway unavailable or
misconfigured, or a server that cannot listen.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.config import (
    AuthScheme,
    ConfigError,
    Settings,
    audit_log_setting,
    load_settings,
    parse_port,
)
from bot.gateway.client import create_client
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    TokenLimitReached,
)
from bot.gateway.models import QrCodeInfo, yuan
from bot.network import cannot_listen
from bot.runtime import new_gateway_http, tune_gc_for_bursts
from bot.sandbox.faults import FaultConfig

if TYPE_CHECKING:
    from bot.audit import AuditLog

EXIT_OK = 0
EXIT_OUTPUT = 1  # stdout would not take the output
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
    http = new_gateway_http(settings)
    try:
        client = create_client(settings, http)
        info = await client.query_qrcode_info(mid, qr_code_id)
    except InvalidInput as exc:
        return _fail(EXIT_BAD_INPUT, f"bad input: {exc}")
    except GatewayRejected as exc:
        return _fail(EXIT_REJECTED, f"rejected by the gateway: {exc}\n{exc.next_step}")
    except TokenLimitReached as exc:  # not a misconfiguration: other holders of the appId
        return _fail(EXIT_UNAVAILABLE, f"no access token: {exc}\n{exc.next_step}")
    except GatewayAuthError as exc:
        return _fail(EXIT_UNAVAILABLE, f"gateway misconfigured: {exc}\n{exc.next_step}")
    except GatewayUnavailable as exc:
        return _fail(EXIT_UNAVAILABLE, f"{exc} (msgId {exc.msg_id})")
    finally:
        await http.aclose()
    if as_json:
        _out(json.dumps(info.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
    else:
        _out(format_summary(info))
    return EXIT_OK


def _demo(settings: Settings, text: str | None, *, as_json: bool) -> int:
    from bot.slack.demo import DEFAULT_TEXT, describe, run_demo  # noqa: PLC0415  # Slack stack

    run = asyncio.run(run_demo(settings, text if text is not None else DEFAULT_TEXT))
    _out(describe(run, as_json=as_json), end="")
    return EXIT_OK if run.payload is not None else EXIT_UNAVAILABLE


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.audit import AuditLog  # noqa: PLC0415  # the Slack stack, only for serve

    mode = args.mode or ("socket" if settings.slack_app_token else "http")
    needed = "slack_app_token" if mode == "socket" else "slack_signing_secret"
    settings.require("slack_bot_token", needed)
    # Opened first: a QRINFO_AUDIT_LOG that cannot be appended to refuses to start
    # before anything reaches Slack.
    audit = AuditLog(settings.qrinfo_audit_log)
    try:
        await _serve_with(settings, args, mode, audit)
    finally:
        audit.close()


async def _serve_with(
    settings: Settings, args: argparse.Namespace, mode: str, audit: AuditLog
) -> None:
    from bot.slack.app import build_app, fixed_authorize  # noqa: PLC0415
    from bot.slack.lookups import Services  # noqa: PLC0415
    from bot.slack.pool import ReplyPool  # noqa: PLC0415
    from bot.slack.server import (  # noqa: PLC0415
        FrontDoor,
        authorize_at_start,
        health_report,
        run_http,
        run_socket,
    )

    port = settings.port if args.port is None else args.port
    authorization = await authorize_at_start(settings)
    http = new_gateway_http(settings)
    replies = ReplyPool()
    gateway = create_client(settings, http)
    services = Services(settings=settings, gateway=gateway, audit=audit)
    app = build_app(
        settings,
        gateway,
        authorize=fixed_authorize(authorization),
        services=services,
        reply_pool=replies,
    )
    secret = settings.slack_signing_secret
    door = FrontDoor(
        app, signing_secret=secret.get_secret_value() if secret else None, replies=replies
    )
    tune_gc_for_bursts()  # after start-up: what exists now lives as long as the process
    stop, now = asyncio.Event(), asyncio.Event()

    def on_signal() -> None:
        # The first signal drains the lookups in flight; a second one stops at once.
        (now if stop.is_set() else stop).set()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)

    async def health() -> dict[str, object]:
        return health_report(services, mode=mode, draining=stop.is_set())

    async def drain() -> None:
        # A lookup ends within its deadline; its reply needs a moment more.
        draining = asyncio.ensure_future(services.inflight.drain(settings.chinaums_timeout + 5))
        forced = asyncio.ensure_future(now.wait())
        await asyncio.wait([draining, forced], return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not (draining.done() and draining.result()):
            draining.cancel()
            logging.getLogger(__name__).warning(
                "%d lookups still running at exit", len(services.inflight)
            )

    try:
        if mode == "socket":
            await run_socket(
                door, settings, host=args.host, port=port, health=health, stop=stop, drain=drain
            )
        else:
            await run_http(door, host=args.host, port=port, health=health, stop=stop, drain=drain)
    finally:
        await replies.aclose()
        await http.aclose()


def _audit(path: str, args: argparse.Namespace) -> int:
    """Print the audit log at *path* (--file, else QRINFO_AUDIT_LOG) as a table."""
    from bot.audit import (  # noqa: PLC0415  # only this command reads the trail
        STDOUT,
        AuditReader,
        audit_lines,
        format_table,
        open_audit_file,
        parse_since,
        select,
    )

    if path == STDOUT and args.file is not None:
        return _fail(EXIT_BAD_INPUT, "--file - is not a file: pass the audit log's path")
    if path == STDOUT:
        return _fail(
            EXIT_BAD_INPUT,
            "the audit log goes to stdout (QRINFO_AUDIT_LOG=-): set QRINFO_AUDIT_LOG to a file, "
            "or pass --file PATH",
        )
    if not path.strip():
        return _fail(
            EXIT_BAD_INPUT, "no audit log named: pass --file PATH, or set QRINFO_AUDIT_LOG"
        )
    try:
        since = parse_since(args.since) if args.since is not None else None
    except ValueError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    try:
        # Bytes: a line that is not UTF-8 is skipped on its own, it does not stop the read.
        with open_audit_file(path) as stream:
            reader = AuditReader(audit_lines(stream))
            events = select(reader, user=args.user, mid=args.mid, since=since)
    except FileNotFoundError:
        return _fail(EXIT_BAD_INPUT, f"no audit log at {path}")
    except OSError as exc:
        if os.path.isdir(path):
            return _fail(
                EXIT_BAD_INPUT,
                f"{path} is a directory; expected the audit log file, like {path}/audit.jsonl",
            )
        return _fail(EXIT_BAD_INPUT, f"cannot read the audit log at {path} ({exc.strerror})")
    _out(format_table(events))
    if reader.skipped == 1:
        print("skipped 1 line that is not an audit line", file=sys.stderr)
    elif reader.skipped:
        print(f"skipped {reader.skipped} lines that are not audit lines", file=sys.stderr)
    return EXIT_OK


class OutputFailed(Exception):
    """stdout would not take the output (a full disk, a closed file): one line, not a traceback."""


def _out(text: str, *, end: str = "\n") -> None:
    """Print *text* to stdout, now: a failure to write is ours to report, not the exit's."""
    try:
        print(text, end=end, flush=True)
    except BrokenPipeError:
        raise  # the reader left: handled in main()
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from None


def _fail(code: int, message: str) -> int:
    print(message, file=sys.stderr)
    return code


def _one_shot(settings: Settings, auth: AuthScheme) -> Settings:
    # The provider keeps at most 10 live access tokens per appId, each for an hour:
    # a one-shot run in token mode spends one of the serving bot's ten.
    return settings.model_copy(update={"chinaums_auth": auth})


def _port(text: str) -> int:
    """argparse type for --port: the same parser and message as PORT."""
    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _version() -> str:
    try:
        return importlib.metadata.version("qrinfo")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qrinfo", description="Look inside Chinaums payment QR codes."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log lookups to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    query = commands.add_parser("query", help="look one QR code up and print it")
    query.add_argument("mid", help="merchant number, e.g. 898340149000005")
    query.add_argument("qr_code_id", help="QR code id, e.g. 31942002268195125132885377")
    query.add_argument("--json", action="store_true", help="print the parsed reply as JSON")

    demo = commands.add_parser(
        "demo", help="run one /qrinfo through the real app in-process and print the card"
    )
    demo.add_argument(
        "text",
        nargs="*",
        help="the command text, e.g. 898340149000005 31942002268195125132885377 (the default), "
        "quoted or not",
    )
    demo.add_argument("--json", action="store_true", help="print the exact payload the app sent")
    for one_shot in (query, demo):
        one_shot.add_argument(
            "--auth",
            choices=("body-sig", "token"),
            default="body-sig",
            help="sign each request (body-sig, the default) or take an access token (token): "
            "one of the 10 an appId may hold at once, for an hour; CHINAUMS_AUTH is for serve",
        )

    serve = commands.add_parser("serve", help="connect to Slack and answer /qrinfo")
    serve.add_argument(
        "--port", type=_port, default=None, help="HTTP port, 0 for any free one (PORT or 3000)"
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (0.0.0.0)")  # noqa: S104  # Slack must reach it
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--http", action="store_const", const="http", dest="mode", help="HTTP mode")
    mode.add_argument(
        "--socket", action="store_const", const="socket", dest="mode", help="Socket Mode"
    )

    audit = commands.add_parser("audit", help="print the audit log as a table")
    audit.add_argument("--user", help="only this Slack user id")
    audit.add_argument("--mid", help="only this merchant number")
    audit.add_argument(
        "--since", help="only the last N s, m, h or d, e.g. 2h (more than 0, at most 3650d)"
    )
    audit.add_argument("--file", help="the log to read (default: QRINFO_AUDIT_LOG)")

    sandbox = commands.add_parser("sandbox", help="serve the sandbox gateway over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    sandbox.add_argument(
        "--port", type=_port, default=8700, help="port to listen on, 0 for any free one (8700)"
    )
    sandbox.add_argument("--latency-ms", type=float, default=0.0, help="added to every query")
    sandbox.add_argument("--jitter-ms", type=float, default=0.0, help="random extra latency, up to")
    sandbox.add_argument("--error-rate", type=float, default=0.0, help="share of 502 replies (0-1)")
    sandbox.add_argument(
        "--malformed-rate", type=float, default=0.0, help="share of truncated JSON replies (0-1)"
    )
    sandbox.add_argument("--hang-rate", type=float, default=0.0, help="share of requests that hang")
    sandbox.add_argument("--seed", type=int, default=None, help="seed for the random faults")
    return parser


def _sandbox(args: argparse.Namespace) -> int:
    # Imported here: only this command needs the aiohttp server.
    from bot.sandbox.gateway import SandboxGateway  # noqa: PLC0415
    from bot.sandbox.server import serve  # noqa: PLC0415

    try:
        faults = FaultConfig(
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            error_rate=args.error_rate,
            malformed_rate=args.malformed_rate,
            hang_rate=args.hang_rate,
            seed=args.seed,
        )
    except ValueError as exc:
        return _fail(EXIT_BAD_INPUT, f"bad fault setting: {exc}")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
            asyncio.run(serve(SandboxGateway(faults=faults), host=args.host, port=args.port))
    except OSError as exc:  # listening is the only I/O of its own that can fail
        return _fail(EXIT_UNAVAILABLE, cannot_listen(exc, args.host, args.port))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`qrinfo audit | head`): what it wanted, it got. Point stdout
        # at /dev/null so the interpreter's own flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OutputFailed as exc:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return _fail(EXIT_OUTPUT, f"cannot write the output: {exc}")


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "audit":  # reading the trail needs no other setting
        try:
            return _audit(args.file if args.file is not None else audit_log_setting(), args)
        except ConfigError as exc:
            return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    if args.command in {"query", "demo"}:
        settings = _one_shot(settings, args.auth)
    if args.command == "query":
        return asyncio.run(_query(settings, args.mid, args.qr_code_id, as_json=args.json))
    if args.command == "demo":
        text = " ".join(args.text) if args.text else None  # unquoted words are one command
        return _demo(settings, text, as_json=args.json)
    if args.command == "serve":
        from bot.audit import AuditDestinationError  # noqa: PLC0415  # the Slack stack, only here
        from bot.slack.server import StartupError  # noqa: PLC0415

        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_serve(settings, args))
        except (ConfigError, AuditDestinationError) as exc:
            return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
        except StartupError as exc:  # its own line says what: cannot reach Slack, cannot listen
            return _fail(EXIT_UNAVAILABLE, str(exc))
        return EXIT_OK
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
