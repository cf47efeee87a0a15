"""The ``qrinfo`` command: loads Settings once and runs one subcommand.

Exit codes: 0 found / ok, 1 the output could not be written, 2 bad input
(arguments included), 3 rejected by the gateway (or, for ``--qr`` and
``--qr-png``, a code whose URL is not one the bot draws), 4 gateway
unavailable or misconfigured, or a server that cannot listen.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.arguments import build_parser
from bot.config import (
    SERVE_ONLY,
    SLACK_ONLY,
    ConfigError,
    Settings,
    audit_log_setting,
    load_settings,
    log_format_setting,
)
from bot.gateway.config import AuthScheme
from bot.i18n import Language
from bot.i18n.catalogue import translator
from bot.logs import configure
from bot.network import cannot_listen
from bot.query import query_command
from bot.terminal import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_UNAVAILABLE,
    OutputFailed,
    fail,
    out,
)

if TYPE_CHECKING:
    from bot.kit.demo import DemoRun

log = logging.getLogger(__name__)


def _demo(settings: Settings, text: str | None, *, as_json: bool) -> int:
    from bot.kit.demo import DEFAULT_TEXT, render_run  # noqa: PLC0415  # the Slack stack

    run = asyncio.run(_run_demo(settings, text if text is not None else DEFAULT_TEXT))
    out(render_run(run, as_json=as_json, tr=translator(settings.logging.language)), end="")
    return EXIT_OK if run.payload is not None else EXIT_UNAVAILABLE


async def _run_demo(settings: Settings, text: str) -> DemoRun:
    from bot.kit.demo import DEMO_AUTHORIZATION, run_demo  # noqa: PLC0415
    from bot.wiring import demo_app  # noqa: PLC0415

    async with demo_app(settings, authorization=DEMO_AUTHORIZATION) as demo:
        return await run_demo(demo.app, demo.signing_secret, reply_wait=demo.reply_wait, text=text)


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.service.audit import AuditLog  # noqa: PLC0415  # the serving stack, only here
    from bot.wiring import serve  # noqa: PLC0415

    if settings.gateway.env == "sandbox" and not settings.gateway.env_chosen:
        # demo and query may fall back on the sandbox (the quickstart); people served from it
        # would get its answers for real codes.
        raise ConfigError(
            "CHINAUMS_ENV: not set, and serve answers people only from a gateway named there: "
            "set CHINAUMS_ENV=prod (or test) with CHINAUMS_APP_ID and CHINAUMS_APP_KEY, or "
            "CHINAUMS_ENV=sandbox to serve the built-in sandbox on purpose"
        )
    mode = args.mode or ("socket" if settings.slack.app_token else "http")
    needed = "app_token" if mode == "socket" else "signing_secret"
    port = settings.slack.port if args.port is None else args.port
    if port and settings.slack.metrics_port == port:
        raise ConfigError(
            f"QRINFO_METRICS_PORT: {port} is also the port serve listens on (PORT or --port); "
            "choose another, or unset it to serve /metrics there"
        )
    settings.slack.require("bot_token", needed)
    # Opened first: a QRINFO_AUDIT_LOG that cannot be appended to refuses to start
    # before anything reaches Slack.
    audit = AuditLog(settings.logging.audit_log)
    try:
        await serve(settings, mode=mode, host=args.host, port=port, audit=audit)
    finally:
        audit.close()


def _audit(path: str, args: argparse.Namespace) -> int:
    """Print the audit log at *path* (--file, else QRINFO_AUDIT_LOG) as a table."""
    from bot.service.audit_trail import parse_since  # noqa: PLC0415  # only this command

    problem = _audit_path_problem(path, from_flag=args.file is not None)
    if problem:
        return fail(EXIT_BAD_INPUT, problem)
    try:
        since = parse_since(args.since) if args.since is not None else None
    except ValueError as exc:
        return fail(EXIT_BAD_INPUT, str(exc))
    return _print_audit(path, args, since)


def _audit_path_problem(path: str, *, from_flag: bool) -> str | None:
    from bot.service.audit import STDOUT  # noqa: PLC0415  # only this command

    if path == STDOUT:
        if from_flag:
            return "--file - is not a file: pass the audit log's path"
        return (
            "the audit log goes to stdout (QRINFO_AUDIT_LOG=-): set QRINFO_AUDIT_LOG to a file, "
            "or pass --file PATH"
        )
    if not path.strip():
        return "no audit log named: pass --file PATH, or set QRINFO_AUDIT_LOG"
    return None


def _print_audit(path: str, args: argparse.Namespace, since: timedelta | None) -> int:
    from bot.service.audit_trail import (  # noqa: PLC0415  # only this command reads the trail
        AuditTrail,
        audit_lines,
        format_table,
        open_audit_file,
        select,
    )

    try:
        # Bytes: a line that is not UTF-8 is skipped on its own, it does not stop the read.
        with open_audit_file(path) as stream:
            trail = AuditTrail(audit_lines(stream))
            events = select(trail, user=args.user, mid=args.mid, since=since)
    except FileNotFoundError:
        return fail(EXIT_BAD_INPUT, f"no audit log at {path}")
    except OSError as exc:
        if os.path.isdir(path):
            return fail(
                EXIT_BAD_INPUT,
                f"{path} is a directory; expected the audit log file, like {path}/audit.jsonl",
            )
        return fail(EXIT_BAD_INPUT, f"cannot read the audit log at {path} ({exc.strerror})")
    out(format_table(events))
    if trail.skipped:
        lines = (
            "1 line that is not an audit line"
            if trail.skipped == 1
            else (f"{trail.skipped} lines that are not audit lines")
        )
        print(f"skipped {lines}", file=sys.stderr)
    return EXIT_OK


def _one_shot(settings: Settings, auth: AuthScheme, language: Language | None) -> Settings:
    # The provider keeps at most 10 live access tokens per appId, each for an hour:
    # a one-shot run in token mode spends one of the serving bot's ten.
    update: dict[str, object] = {"gateway": settings.gateway.with_auth(auth)}
    if language is not None:  # --lang; else QRINFO_LANGUAGE
        update["logging"] = settings.logging.model_copy(update={"language": language})
    return settings.model_copy(update=update)


def _sandbox(args: argparse.Namespace) -> int:
    from bot.wiring import run_sandbox, sandbox_faults  # noqa: PLC0415  # only this command

    try:
        faults = sandbox_faults(
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            error_rate=args.error_rate,
            malformed_rate=args.malformed_rate,
            hang_rate=args.hang_rate,
            seed=args.seed,
        )
    except ValueError as exc:
        return fail(EXIT_BAD_INPUT, f"bad fault setting: {exc}")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
            asyncio.run(run_sandbox(faults, host=args.host, port=args.port, announce=out))
    except BrokenPipeError:
        raise  # stdout's reader left: main() ends quietly
    except OSError as exc:  # listening is the only other I/O that can fail (stdout: OutputFailed)
        return fail(EXIT_UNAVAILABLE, cannot_listen(exc, args.host, args.port))
    return EXIT_OK


def event_loop(choice: str) -> asyncio.Runner:
    """The runner `serve` uses: uvloop's loop (libuv: less CPU for the same sockets, faster
    acks under a burst) unless QRINFO_EVENT_LOOP=asyncio, or where uvloop is not installed
    (a platform without its wheel), asyncio's own."""
    if choice == "uvloop":
        try:
            import uvloop  # noqa: PLC0415  # optional: not on every platform
        except ImportError:
            log.warning("uvloop is not installed here: serving on asyncio's event loop")
        else:
            return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    return asyncio.Runner()


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.service.audit import AuditDestinationError  # noqa: PLC0415  # serving only
    from bot.slack.serving.startup import StartupError, TokenRefused  # noqa: PLC0415  # serving only

    try:
        with (
            contextlib.suppress(KeyboardInterrupt),
            event_loop(settings.slack.event_loop) as runner,
        ):
            runner.run(_serve(settings, args))
    except (ConfigError, AuditDestinationError, TokenRefused) as exc:
        return fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    except StartupError as exc:  # its own line says what: cannot reach Slack, cannot listen
        return fail(EXIT_UNAVAILABLE, str(exc))
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
        if sys.stdout is not None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return fail(EXIT_OUTPUT, f"cannot write the output: {exc}")


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help and --version print to stdout, then exit 0
        if done.code == 0 and sys.stdout is not None:  # (with none, argparse used stderr)
            out("", end="")  # what they printed reaches stdout now, or one line says why not
        raise
    configure(log_format_setting(), verbose=args.verbose)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "audit":  # reading the trail needs no other setting
        try:
            return _audit(args.file if args.file is not None else audit_log_setting(), args)
        except ConfigError as exc:
            return fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    try:
        # A one-shot command checks only what it uses (a PORT gone wrong stops no lookup).
        unused = {"query": SLACK_ONLY, "demo": SERVE_ONLY}.get(args.command, frozenset())
        settings = load_settings(unused=unused)
    except ConfigError as exc:
        return fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    if args.command == "query":
        return query_command(_one_shot(settings, args.auth, args.lang), args)
    if args.command == "demo":
        text = " ".join(args.text) if args.text else None  # unquoted words are one command
        return _demo(_one_shot(settings, args.auth, args.lang), text, as_json=args.json)
    if args.command == "serve":
        return _serve_command(settings, args)
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
