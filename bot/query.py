"""``qrinfo query``: the words read as /qrinfo reads them, one lookup on the gateway they
name, the answer as terminal text or JSON, and the QR code drawn if asked."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import Settings
from bot.gateway.attempts import Attempts
from bot.gateway.config import Environment
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
from bot.i18n import ENGLISH, P, Text, Translator, columns, pad, printable
from bot.i18n.catalogue import translator
from bot.service.payment import Payment, payment_of
from bot.terminal import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_REJECTED,
    EXIT_UNAVAILABLE,
    fail,
    out,
)


def query_command(settings: Settings, args: argparse.Namespace) -> int:
    tr = translator(settings.logging.language)
    ref = _read_query(" ".join(args.text), args.env, tr)
    if isinstance(ref, int):
        return ref
    qr = QrOutput(terminal=args.qr, png_path=args.qr_png)
    return asyncio.run(
        _query(settings, ref, as_json=args.json, tr=tr, qr=qr, strict=args.env is not None)
    )


def payment_json(payment: Payment) -> dict[str, object]:
    """The payment status for --json: the status, bills/query's reply as parsed, or why
    there is none."""
    bill = payment.bill.model_dump(mode="json", by_alias=True) if payment.bill else None
    return {"status": payment.status, "reply": bill, "problem": payment.problem}


def payment_summary(payment: Payment, tr: Translator = ENGLISH) -> str:
    """The payment status in a line: the status, when, which wallet; or why it is not known."""
    words = {
        "paid": tr("paid"), "unpaid": tr("not paid"), "refunded": tr("refunded"),
        "closed": tr("closed"), "no-bill": tr("no bill found"),
        "unavailable": tr("payment status unavailable"),
    }  # fmt: skip
    bill = payment.bill
    if payment.status == "unknown" and bill is not None:
        return tr("status {status}", status=bill.bill_status or "-")
    parts = [words[payment.status]]
    paid = bill.bill_payment if bill is not None else None
    if paid is not None and payment.status in ("paid", "refunded"):
        if paid.pay_time is not None:
            parts.append(f"{paid.pay_time:%Y-%m-%d %H:%M:%S} (UTC+8)")
        if paid.target_sys:
            parts.append(paid.target_sys)
    if payment.problem and payment.status == "unavailable":
        parts.append(payment.problem)
    return "  ·  ".join(parts)


def format_summary(
    info: QrCodeInfo, tr: Translator = ENGLISH, payment: Payment | None = None
) -> str:
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
    if payment is not None:
        rows.append((tr("payment"), printable(payment_summary(payment, tr))))
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
    env = _gateway_env(settings, ref, tr, strict=strict)
    if isinstance(env, int):
        return env
    asked = await _ask_gateway(settings, env, ref, tr)
    if isinstance(asked, int):
        return asked
    info, payment = asked
    if as_json:
        found = info.model_dump(mode="json", by_alias=True)
        if payment is not None:
            found["payment"] = payment_json(payment)
        out(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        out(format_summary(info, tr, payment))
    return _draw(info.qr_code_url, qr, tr) if qr.wanted else EXIT_OK


def _gateway_env(
    settings: Settings, ref: QrCodeRef, tr: Translator, *, strict: bool
) -> Environment | int:
    """The environment whose gateway answers *ref*: the one it names, else the default
    standing in for it when that is the sandbox and not *strict*; else the exit code, after
    one line naming the settings that gateway needs."""
    from bot.slack.names import ENV_NAMES  # noqa: PLC0415  # only when it is needed

    env = ref.env or settings.gateway.env
    configured = env == settings.gateway.env or env in settings.gateway.second_gateways()
    # Strict, unlike Slack: checking a gateway's credentials, the sandbox standing in for
    # it would be a false success. Without --env, the sandbox as the default stands in as it
    # does in Slack; another default does not.
    if not configured and (strict or settings.gateway.env != "sandbox"):
        first, second = settings.gateway.settings_for(env)
        return fail(
            EXIT_UNAVAILABLE,
            tr(
                "no gateway for {env}: set {first} and {second}",
                env=tr(ENV_NAMES[env]),
                first=first,
                second=second,
            ),
        )
    return env if configured else settings.gateway.env


async def _ask_gateway(
    settings: Settings, env: Environment, ref: QrCodeRef, tr: Translator
) -> tuple[QrCodeInfo, Payment | None] | int:
    """*ref* looked up on *env*'s gateway, with its bill's payment status (when it names a
    bill and CHINAUMS_PAYMENT_TIMEOUT is not 0); else the exit code, after the lines saying
    why."""
    from bot.wiring import build_gateway, build_gateways, new_gateway_http  # noqa: PLC0415

    http = new_gateway_http(settings)
    try:
        gateways = build_gateways(settings, http, build_gateway(settings, http))
        client = gateways.client(env)
        asked = Attempts(msg_id=None)
        info = await client.query_qrcode_info(ref.mid, ref.qr_code_id, attempts=asked)
        # Within the lookup's deadline, as in Slack.
        paid = await payment_of(client, info, most=settings.gateway.payment_timeout, asked=asked)
        return info, paid[0] if paid is not None else None
    except (InvalidInput, GatewayRejected, GatewayAuthError, GatewayUnavailable) as exc:
        return fail(*_query_failure(exc, tr))
    finally:
        await http.aclose()


def _draw(url: str | None, qr: QrOutput, tr: Translator) -> int:
    """The code in the terminal and/or a PNG file, after the card; only a URL the bot draws."""
    from bot.qr_image import drawable, png, terminal_text  # noqa: PLC0415  # only with --qr

    if url is None or not drawable(url):
        why = (
            tr("the gateway gave no QR URL")
            if not url
            else tr("its URL is not an https URL on the provider's QR hosts")
        )
        return fail(EXIT_REJECTED, tr("cannot draw the QR code: {why}", why=why))
    if qr.terminal:
        out(terminal_text(url), end="")
    if qr.png_path is not None:
        try:
            Path(qr.png_path).write_bytes(png(url))
        except OSError as exc:
            return fail(
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
    from bot.slack.reading.command import parse_command  # noqa: PLC0415  # the reader Slack uses
    from bot.slack.reading.pasted import BatchRequest, UsageError  # noqa: PLC0415  # only for query

    try:
        parsed = parse_command(text)
    except UsageError as exc:
        return fail(
            EXIT_BAD_INPUT,
            tr(
                "bad input: {problem} For example: {example}",
                problem=tr(exc.problem),
                example=QUERY_EXAMPLE,
            ),
        )
    if isinstance(parsed, BatchRequest):
        return fail(
            EXIT_BAD_INPUT,
            tr(
                "bad input: qrinfo query looks up one QR code at a time, and {count} were given",
                count=len(parsed.refs),
            ),
        )
    if not isinstance(parsed, QrCodeRef):  # help, status: words for Slack, not a lookup
        return fail(
            EXIT_BAD_INPUT,
            tr("bad input: expected MID QRCODE, for example {example}", example=QUERY_EXAMPLE),
        )
    if env is not None and parsed.env is not None and parsed.env != env:
        return fail(
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
    assert isinstance(exc, GatewayUnavailable)  # noqa: S101  # the four kinds _ask_gateway catches
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
