"""The ``qrinfo`` command line: its subcommands, flags and their checks."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from bot.config import SECOND_GATEWAYS, parse_port
from bot.i18n import LANGUAGES
from bot.version import version


def _port(text: str) -> int:
    """argparse type for --port: the same parser and message as PORT."""
    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _host(text: str) -> str:
    """argparse type for --host: an IPv6 address as URLs write it ([::1]) taken too; nothing
    at all is refused (it would mean every address, silently)."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if not text.strip():
        raise argparse.ArgumentTypeError("expected an address such as 127.0.0.1, 0.0.0.0 or ::")
    return text


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="qrinfo", description="Look inside Chinaums payment QR codes."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log lookups to stderr")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_one_shots(commands)
    _add_serve(commands)
    audit = commands.add_parser("audit", help="print the audit log as a table")
    audit.add_argument("--user", help="only this Slack user id")
    audit.add_argument("--mid", help="only this merchant number")
    audit.add_argument(
        "--since", help="only the last N s, m, h or d, e.g. 2h (more than 0, at most 3650d)"
    )
    audit.add_argument("--file", help="the log to read (default: QRINFO_AUDIT_LOG)")
    _add_sandbox(commands)
    return parser


# argparse's subparsers object has no public type; its private class is the real one.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _file_name(text: str) -> str:
    """A file to write: a name, not nothing and not "-" (that would be a file called -)."""
    if not text.strip() or text == "-":
        raise argparse.ArgumentTypeError(f"expected a file name such as code.png, got {text!r}")
    return text


def _add_one_shots(commands: Commands) -> None:
    for one_shot in (_add_query(commands), _add_demo(commands)):
        one_shot.add_argument(
            "--auth",
            choices=("body-sig", "token"),
            default="body-sig",
            help="sign each request (body-sig, the default) or take an access token (token): "
            "one of the 10 an appId may hold at once, for an hour; CHINAUMS_AUTH is for serve",
        )
        one_shot.add_argument(
            "--lang",
            choices=LANGUAGES,
            default=None,
            help="the language of the output: en or zh (default: QRINFO_LANGUAGE, else en)",
        )


def _add_query(commands: Commands) -> argparse.ArgumentParser:
    query = commands.add_parser("query", help="look one QR code up and print it")
    query.add_argument(
        "text",
        nargs="+",
        metavar="MID QRCODE",
        help="the merchant number and the QR code's id or URL, read as /qrinfo reads them "
        "(either order, labels such as 商户号：, full-width digits, test/prod first), e.g. "
        "898340149000005 31942002268195125132885377",
    )
    output = query.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the parsed reply as JSON")
    output.add_argument(
        "--qr", action="store_true", help="print the QR code in the terminal after the card"
    )
    query.add_argument(
        "--qr-png",
        metavar="FILE",
        type=_file_name,
        help="write the QR code to FILE as a PNG image",
    )
    query.add_argument(
        "--env",
        choices=SECOND_GATEWAYS,
        help="ask that environment's gateway (a second gateway, CHINAUMS_TEST_* or "
        "CHINAUMS_PROD_*, or the default one); the default: the one CHINAUMS_ENV names",
    )
    return query


def _add_demo(commands: Commands) -> argparse.ArgumentParser:
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
    return demo


def _add_serve(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="connect to Slack and answer /qrinfo")
    serve.add_argument(
        "--port", type=_port, default=None, help="HTTP port, 0 for any free one (PORT or 3000)"
    )
    serve.add_argument(
        "--host",
        type=_host,
        default="0.0.0.0",  # noqa: S104  # Slack must reach it
        help="address to listen on (0.0.0.0; [::] for IPv6)",
    )
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--http", action="store_const", const="http", dest="mode", help="HTTP mode")
    mode.add_argument(
        "--socket", action="store_const", const="socket", dest="mode", help="Socket Mode"
    )


def _add_sandbox(commands: Commands) -> None:
    sandbox = commands.add_parser("sandbox", help="serve the sandbox gateway over HTTP")
    sandbox.add_argument(
        "--host", type=_host, default="127.0.0.1", help="address to listen on (127.0.0.1, or [::1])"
    )
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
