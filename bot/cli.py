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
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
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
from bot.gateway.config import AuthScheme, Environment
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
    TokenLimitReached,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo, yuan
from bot.i18n import ENGLISH, Language, P, Text, Translator, columns, pad
from bot.i18n.catalogue import translator
from bot.logs import configure, fail_line
from bot.network import cannot_listen

if TYPE_CHECKING:
    from bot.kit.demo import DemoRun

EXIT_OK = 0
EXIT_OUTPUT = 1  # stdout would not take the output
EXIT_BAD_INPUT = 2
EXIT_REJECTED = 3
EXIT_UNAVAILABLE = 4


def format_summary(info: QrCodeInfo, tr: Translator = ENGLISH) -> str:
    """A few readable lines about a QR code, for a terminal, in *tr*'s language."""
    unnamed, no_name = tr("(unnamed)"), tr("(no name)")
    merchant = tr("{name}  merchant no. {mid}", name=info.mer_name or no_name, mid=info.mid or "-")
    rows = [(tr("merchant"), merchant)]
    if info.total_amount is not None:
        rows.append((tr("amount"), f"¥{yuan(info.total_amount)}"))
    for goods in info.goods:
        quantity = "?" if goods.quantity is None else f"{goods.quantity.normalize():f}"
        price = "" if goods.price is None else f" @ ¥{yuan(goods.price)}"
        rows.append((tr("goods"), f"{goods.goods_name or unnamed} × {quantity}{price}"))
    if info.expire_time is not None:
        rows.append((tr("expires"), f"{info.expire_time:%Y-%m-%d %H:%M:%S} (UTC+8)"))
    if info.qr_code_url:
        rows.append((tr("QR URL"), info.qr_code_url))
    rows.append(("msgId", info.msg_id or "-"))
    width = max(columns(label) for label, _ in rows) + 3
    return "\n".join(pad(label, width) + value for label, value in rows)


@dataclass(frozen=True, slots=True)
class QrOutput:
    """What ``query`` draws besides the card: the code in the terminal, a PNG file."""

    terminal: bool = False
    png_path: str | None = None

    @property
    def wanted(self) -> bool:
        return self.terminal or self.png_path is not None


async def _query(
    settings: Settings,
    ref: QrCodeRef,
    *,
    as_json: bool,
    tr: Translator,
    qr: QrOutput = QrOutput(),  # frozen: one shared default is safe
    strict: bool = False,
) -> int:
    """Look *ref* up on the gateway it names (as /qrinfo routes it), or, *strict* (--env),
    only on that environment's own gateway."""
    from bot.slack.names import ENV_NAMES  # noqa: PLC0415  # only when it is needed
    from bot.wiring import build_gateway, build_gateways, new_gateway_http  # noqa: PLC0415

    env = ref.env or settings.chinaums_env
    configured = env == settings.chinaums_env or env in settings.second_gateways()
    # Strict, unlike Slack: checking a gateway's credentials, the sandbox standing in for
    # it would be a false success. Without --env, the sandbox as the default stands in as it
    # does in Slack; another default does not.
    if not configured and (strict or settings.chinaums_env != "sandbox"):
        first, second = settings.gateway_settings_for(env)
        return _fail(
            EXIT_UNAVAILABLE,
            tr(
                "no gateway for {env}: set {first} and {second}",
                env=tr(ENV_NAMES[env]),
                first=first,
                second=second,
            ),
        )
    env = env if configured else settings.chinaums_env
    http = new_gateway_http(settings)
    try:
        gateways = build_gateways(settings, http, build_gateway(settings, http))
        info = await gateways.client(env).query_qrcode_info(ref.mid, ref.qr_code_id)
    except (InvalidInput, GatewayRejected, GatewayAuthError, GatewayUnavailable) as exc:
        return _fail(*_query_failure(exc, tr))
    finally:
        await http.aclose()
    if as_json:
        _out(json.dumps(info.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=2))
    else:
        _out(format_summary(info, tr))
    return _draw(info.qr_code_url, qr, tr) if qr.wanted else EXIT_OK


def _draw(url: str | None, qr: QrOutput, tr: Translator) -> int:
    """The code in the terminal and/or a PNG file, after the card; only a URL the bot draws."""
    from bot.qr_image import drawable, png, terminal_text  # noqa: PLC0415  # only with --qr

    if url is None or not drawable(url):
        why = (
            tr("the gateway gave no QR URL")
            if not url
            else tr("its URL is not an https URL on the provider's QR hosts")
        )
        return _fail(EXIT_REJECTED, tr("cannot draw the QR code: {why}", why=why))
    if qr.terminal:
        _out(terminal_text(url), end="")
    if qr.png_path is not None:
        try:
            Path(qr.png_path).write_bytes(png(url))
        except OSError as exc:
            return _fail(
                EXIT_OUTPUT,
                tr(
                    "cannot write the QR code to {path}: {reason}",
                    path=qr.png_path,
                    reason=exc.strerror or str(exc),
                ),
            )
    return EXIT_OK


QUERY_EXAMPLE = "qrinfo query 898340149000005 31942002268195125132885377"


def _read_query(text: str, env: Environment | None, tr: Translator) -> QrCodeRef | int:
    """What ``qrinfo query`` was asked, read as /qrinfo reads it (a URL routes by its host);
    else the exit code, after one line saying why."""
    from bot.slack.reading.parse import parse_command  # noqa: PLC0415  # the reader Slack uses
    from bot.slack.reading.pasted import BatchRequest, UsageError  # noqa: PLC0415  # only for query

    try:
        parsed = parse_command(text)
    except UsageError as exc:
        return _fail(
            EXIT_BAD_INPUT,
            tr(
                "bad input: {problem} For example: {example}",
                problem=tr(exc.problem),
                example=QUERY_EXAMPLE,
            ),
        )
    if isinstance(parsed, BatchRequest):
        return _fail(
            EXIT_BAD_INPUT,
            tr(
                "bad input: qrinfo query looks up one QR code at a time, and {count} were given",
                count=len(parsed.refs),
            ),
        )
    if not isinstance(parsed, QrCodeRef):  # help, status: words for Slack, not a lookup
        return _fail(
            EXIT_BAD_INPUT,
            tr("bad input: expected MID QRCODE, for example {example}", example=QUERY_EXAMPLE),
        )
    if env is not None and parsed.env is not None and parsed.env != env:
        return _fail(
            EXIT_BAD_INPUT,
            tr(
                "bad input: --env {flag} asks the {flag} gateway, but the code names {named}",
                flag=env,
                named=parsed.env,
            ),
        )
    return replace(parsed, env=env or parsed.env)


def _query_failure(exc: QrInfoError, tr: Translator) -> tuple[int, str]:
    """The exit code and the lines `qrinfo query` ends with when the lookup failed."""
    if isinstance(exc, InvalidInput):
        return EXIT_BAD_INPUT, tr(
            "bad input: {field}: expected {expected}, for example {example}",
            field=exc.field,
            expected=Text(exc.expected),
            example=exc.example,
        )
    if isinstance(exc, GatewayRejected):
        said = tr(" (gateway: {message})", message=exc.gateway_message)
        line = tr(
            "rejected by the gateway: {code}: {explanation}",
            code=exc.code,
            explanation=Text(exc.explanation),
        )
        return EXIT_REJECTED, f"{line}{said if exc.gateway_message else ''}\n{tr(exc.next_step)}"
    if isinstance(exc, TokenLimitReached):  # not a misconfiguration: other holders of the appId
        return EXIT_UNAVAILABLE, tr("no access token: {detail}", detail=exc) + "\n" + tr(
            exc.next_step
        )
    if isinstance(exc, GatewayAuthError):
        line = tr("gateway misconfigured: {detail}", detail=exc)
        return EXIT_UNAVAILABLE, f"{line}\n{tr(exc.next_step)}"
    assert isinstance(exc, GatewayUnavailable)  # noqa: S101  # the four kinds _query catches
    return EXIT_UNAVAILABLE, tr(
        P(
            "gateway unavailable: {reason} ({count} attempt, {seconds} s) (msgId {msg_id})",
            "gateway unavailable: {reason} ({count} attempts, {seconds} s) (msgId {msg_id})",
            exc.attempts,
            reason=exc.reason,
            seconds=f"{exc.elapsed:.1f}",
            msg_id=exc.msg_id,
        )
    )


def _demo(settings: Settings, text: str | None, *, as_json: bool) -> int:
    from bot.kit.demo import DEFAULT_TEXT, render_run  # noqa: PLC0415  # the Slack stack

    run = asyncio.run(_run_demo(settings, text if text is not None else DEFAULT_TEXT))
    _out(render_run(run, as_json=as_json, tr=translator(settings.qrinfo_language)), end="")
    return EXIT_OK if run.payload is not None else EXIT_UNAVAILABLE


async def _run_demo(settings: Settings, text: str) -> DemoRun:
    from bot.kit.demo import DEMO_AUTHORIZATION, run_demo  # noqa: PLC0415
    from bot.wiring import demo_app  # noqa: PLC0415

    async with demo_app(settings, authorization=DEMO_AUTHORIZATION) as demo:
        return await run_demo(demo.app, demo.signing_secret, reply_wait=demo.reply_wait, text=text)


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from bot.service.audit import AuditLog  # noqa: PLC0415  # the serving stack, only here
    from bot.wiring import serve  # noqa: PLC0415

    if settings.chinaums_env == "sandbox" and not settings.env_chosen:
        # demo and query may fall back on the sandbox (the quickstart); people served from it
        # would get its answers for real codes.
        raise ConfigError(
            "CHINAUMS_ENV: not set, and serve answers people only from a gateway named there: "
            "set CHINAUMS_ENV=prod (or test) with CHINAUMS_APP_ID and CHINAUMS_APP_KEY, or "
            "CHINAUMS_ENV=sandbox to serve the built-in sandbox on purpose"
        )
    mode = args.mode or ("socket" if settings.slack_app_token else "http")
    needed = "slack_app_token" if mode == "socket" else "slack_signing_secret"
    port = settings.port if args.port is None else args.port
    if port and settings.qrinfo_metrics_port == port:
        raise ConfigError(
            f"QRINFO_METRICS_PORT: {port} is also the port serve listens on (PORT or --port); "
            "choose another, or unset it to serve /metrics there"
        )
    settings.require("slack_bot_token", needed)
    # Opened first: a QRINFO_AUDIT_LOG that cannot be appended to refuses to start
    # before anything reaches Slack.
    audit = AuditLog(settings.qrinfo_audit_log)
    try:
        await serve(settings, mode=mode, host=args.host, port=port, audit=audit)
    finally:
        audit.close()


def _audit(path: str, args: argparse.Namespace) -> int:
    """Print the audit log at *path* (--file, else QRINFO_AUDIT_LOG) as a table."""
    from bot.service.audit_reader import parse_since  # noqa: PLC0415  # only this command

    problem = _audit_path_problem(path, from_flag=args.file is not None)
    if problem:
        return _fail(EXIT_BAD_INPUT, problem)
    try:
        since = parse_since(args.since) if args.since is not None else None
    except ValueError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
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
    from bot.service.audit_reader import (  # noqa: PLC0415  # only this command reads the trail
        AuditReader,
        audit_lines,
        format_table,
        open_audit_file,
        select,
    )

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
    if reader.skipped:
        lines = (
            "1 line that is not an audit line"
            if reader.skipped == 1
            else (f"{reader.skipped} lines that are not audit lines")
        )
        print(f"skipped {lines}", file=sys.stderr)
    return EXIT_OK


class OutputFailed(Exception):
    """stdout would not take the output (a full disk, a closed file): one line, not a traceback."""


def _out(text: str, *, end: str = "\n") -> None:
    """Print *text* to stdout, now: a failure to write is ours to report, not the exit's."""
    if sys.stdout is None:  # started with stdout closed (`qrinfo demo >&-`)
        raise OutputFailed("stdout is closed")
    try:
        print(text, end=end, flush=True)
    except BrokenPipeError:
        raise  # the reader left: handled in main()
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from None


def _fail(code: int, message: str) -> int:
    # In the log format: with QRINFO_LOG_FORMAT=json, even a bad setting is one JSON object.
    print(fail_line(message, log_format_setting()), file=sys.stderr)
    return code


def _one_shot(settings: Settings, auth: AuthScheme, language: Language | None) -> Settings:
    # The provider keeps at most 10 live access tokens per appId, each for an hour:
    # a one-shot run in token mode spends one of the serving bot's ten.
    update: dict[str, object] = {
        "chinaums_auth": auth,
        "chinaums_test_auth": auth,
        "chinaums_prod_auth": auth,
    }
    if language is not None:  # --lang; else QRINFO_LANGUAGE
        update["qrinfo_language"] = language
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
        return _fail(EXIT_BAD_INPUT, f"bad fault setting: {exc}")
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how one stops it
            asyncio.run(run_sandbox(faults, host=args.host, port=args.port, announce=_out))
    except BrokenPipeError:
        raise  # stdout's reader left: main() ends quietly
    except OSError as exc:  # listening is the only other I/O that can fail (stdout: OutputFailed)
        return _fail(EXIT_UNAVAILABLE, cannot_listen(exc, args.host, args.port))
    return EXIT_OK


def _query_command(settings: Settings, args: argparse.Namespace) -> int:
    tr = translator(settings.qrinfo_language)
    ref = _read_query(" ".join(args.text), args.env, tr)
    if isinstance(ref, int):
        return ref
    qr = QrOutput(terminal=args.qr, png_path=args.qr_png)
    return asyncio.run(
        _query(settings, ref, as_json=args.json, tr=tr, qr=qr, strict=args.env is not None)
    )


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.service.audit import AuditDestinationError  # noqa: PLC0415  # serving only
    from bot.slack.serving.startup import StartupError, TokenRefused  # noqa: PLC0415  # serving only

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, args))
    except (ConfigError, AuditDestinationError, TokenRefused) as exc:
        return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    except StartupError as exc:  # its own line says what: cannot reach Slack, cannot listen
        return _fail(EXIT_UNAVAILABLE, str(exc))
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
        return _fail(EXIT_OUTPUT, f"cannot write the output: {exc}")


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help and --version print to stdout, then exit 0
        if done.code == 0 and sys.stdout is not None:  # (with none, argparse used stderr)
            _out("", end="")  # what they printed reaches stdout now, or one line says why not
        raise
    configure(log_format_setting(), verbose=args.verbose)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "audit":  # reading the trail needs no other setting
        try:
            return _audit(args.file if args.file is not None else audit_log_setting(), args)
        except ConfigError as exc:
            return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    try:
        # A one-shot command checks only what it uses (a PORT gone wrong stops no lookup).
        unused = {"query": SLACK_ONLY, "demo": SERVE_ONLY}.get(args.command, frozenset())
        settings = load_settings(unused=unused)
    except ConfigError as exc:
        return _fail(EXIT_UNAVAILABLE, f"configuration error: {exc}")
    if args.command == "query":
        return _query_command(_one_shot(settings, args.auth, args.lang), args)
    if args.command == "demo":
        text = " ".join(args.text) if args.text else None  # unquoted words are one command
        return _demo(_one_shot(settings, args.auth, args.lang), text, as_json=args.json)
    if args.command == "serve":
        return _serve_command(settings, args)
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
