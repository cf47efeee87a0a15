"""`qrinfo query` (bot/query.py): the words read as /qrinfo reads them, a lookup on the gateway
they name (the in-process sandbox, no network), the summary, and each failure's exit code."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot import query
from bot.config import load_settings
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
    TokenLimitReached,
)
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import ENGLISH
from bot.terminal import EXIT_BAD_INPUT, EXIT_OK, EXIT_REJECTED, EXIT_UNAVAILABLE

SEED = "898340149000005 31942002268195125132885377"


def args(text: str, **flags: object) -> argparse.Namespace:
    given = {"json": False, "qr": False, "qr_png": None, "env": None} | flags
    return argparse.Namespace(text=text.split(), **given)


def test_the_summary_lists_what_the_gateway_said_aligned() -> None:
    info = QrCodeInfo.model_validate(
        {
            "errCode": "SUCCESS",
            "mid": "898340149000005",
            "merName": "测试商户",
            "totalAmount": 1234,
            "goods": [{"goodsName": "咖啡", "quantity": "2", "price": 500}, {}],
            "expireTime": "2026-11-25 12:00:00",
            "qrCodeUrl": "https://qr.chinaums.com/bills/qrCode.do?id=x",
            "msgId": "qri1",
        }
    )
    lines = query.format_summary(info).splitlines()
    assert lines[0].split() == ["merchant", "测试商户", "merchant", "no.", "898340149000005"]
    assert lines[1].split() == ["amount", "¥12.34"]
    assert lines[2].split() == ["goods", "咖啡", "×", "2", "@", "¥5.00"]
    assert lines[3].split() == ["goods", "(unnamed)", "×", "?"]
    assert "2026-11-25 12:00:00 (UTC+8)" in lines[4]
    assert lines[-1].split() == ["msgId", "qri1"]
    starts = {match.end() for line in lines if (match := re.search(r" {2,}", line))}
    assert len(starts) == 1  # the values in one column, after the widest label


def test_the_summary_of_a_bare_reply_says_what_is_missing() -> None:
    lines = query.format_summary(QrCodeInfo.model_validate({"errCode": "SUCCESS"})).splitlines()
    assert [line.split()[0] for line in lines] == ["merchant", "msgId"]
    assert "(no name)" in lines[0]
    assert lines[1].endswith("-")


def test_a_qr_is_drawn_only_when_asked() -> None:
    assert not query.QrOutput().wanted
    assert query.QrOutput(terminal=True).wanted
    assert query.QrOutput(png_path="x.png").wanted


def test_the_words_are_read_as_slack_reads_them() -> None:
    ref = query._read_query("商户号：898340149000005 31942002268195125132885377", None, ENGLISH)
    assert ref == QrCodeRef("898340149000005", "31942002268195125132885377")
    assert query._read_query(SEED, "test", ENGLISH) == QrCodeRef(
        "898340149000005", "31942002268195125132885377", "test"
    )


@pytest.mark.parametrize(
    ("text", "env", "says"),
    [
        ("898340149000005", None, "bad input: "),
        ("help", None, "expected MID QRCODE"),
        (SEED + " 31940000000000000000000000", None, "one QR code at a time, and 2 were given"),
        (
            "898340149000005 https://qr.95516.com/48020000/31942002268195125132885377",
            "test",
            "--env test asks the test gateway, but the code names prod",
        ),
    ],
    ids=["one-value", "help", "two-codes", "env-against-host"],
)
def test_what_cannot_be_looked_up_is_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str], text: str, env: str | None, says: str
) -> None:
    assert query._read_query(text, env, ENGLISH) == EXIT_BAD_INPUT  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("error", "code", "says"),
    [
        (InvalidInput(field="mid", expected="15 digits", example="898340149000005"), 2, "mid:"),
        (GatewayRejected(code="NO_BILL", message="无账单", msg_id="q"), 3, "(gateway: 无账单)"),
        (
            TokenLimitReached(code="1001", gateway_message="limit", http_status=200),
            4,
            "no access token: ",
        ),
        (
            GatewayAuthError(code="401", message="bad", http_status=401, msg_id="q"),
            4,
            "gateway misconfigured: ",
        ),
        (
            GatewayUnavailable(reason="timeout", attempts=1, elapsed=2.04, msg_id="qri9"),
            4,
            "gateway unavailable: timeout (1 attempt, 2.0 s) (msgId qri9)",
        ),
    ],
    ids=["invalid", "rejected", "token-limit", "misconfigured", "unavailable"],
)
def test_each_failure_has_its_exit_code_and_words(error: QrInfoError, code: int, says: str) -> None:
    exit_code, lines = query._query_failure(error, ENGLISH)
    assert exit_code == code
    assert says in lines


def test_a_named_environment_without_its_gateway_is_unavailable_when_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = load_settings()
    ref = QrCodeRef("898340149000005", "31942002268195125132885377", "prod")
    assert query._gateway_env(settings, ref, ENGLISH, strict=False) == "sandbox"
    assert query._gateway_env(settings, ref, ENGLISH, strict=True) == EXIT_UNAVAILABLE
    assert "no gateway for production: set CHINAUMS_PROD_APP_ID and" in capsys.readouterr().err


def test_a_lookup_on_the_in_process_sandbox_prints_the_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert query.query_command(load_settings(), args(SEED)) == EXIT_OK
    assert "测试商户" in capsys.readouterr().out


def test_a_rejected_code_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    text = "898340149000005 31940000000000000000000000"
    assert query.query_command(load_settings(), args(text)) == EXIT_REJECTED
    assert "rejected by the gateway: NO_BILL" in capsys.readouterr().err


def test_a_png_is_written_after_the_card(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "code.png"
    assert query.query_command(load_settings(), args(SEED, qr_png=str(png))) == EXIT_OK
    assert png.read_bytes().startswith(b"\x89PNG")
