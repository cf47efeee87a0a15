"""The qrinfo command: output and exit codes, against the in-process sandbox."""

from __future__ import annotations

import json

import pytest

from bot.cli import main

SEED = ["898340149000005", "31942002268195125132885377"]


def test_query_prints_the_seed_card_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """The seed's code: merchant, ¥0.02, 鸡蛋 × 1, expiry with its zone, QR URL."""
    assert main(["query", *SEED]) == 0
    out = capsys.readouterr().out
    assert "测试商户" in out
    assert "¥0.02" in out
    assert "鸡蛋 × 1" in out
    assert "2030-02-26 13:51:25 (UTC+8)" in out
    assert "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377" in out
    assert "msgId      qri" in out


def test_query_json_prints_the_parsed_reply(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the model with the gateway's field names."""
    assert main(["query", "--json", *SEED]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["merName"] == "测试商户"
    assert data["totalAmount"] == 2
    assert data["expireTime"] == "2030-02-26 13:51:25"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["898340149000005", "3194-2002"], 2, "bad input: qrCodeId"),
        (["898340149000005", "31940000000000000000000000"], 3, "NO_BILL"),
        (["898310058120123", SEED[1]], 3, "INVALID_MSGSRC"),
    ],
    ids=["bad-input", "unknown-code", "wrong-mid"],
)
def test_query_exit_codes_say_what_happened(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, says: str
) -> None:
    """2 for bad input, 3 for a gateway rejection, each with a message on stderr."""
    assert main(["query", *args]) == code
    assert says in capsys.readouterr().err


def test_query_exits_4_when_the_gateway_is_unavailable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hanging gateway: exit 4, 'unavailable' and the msgId on stderr."""
    monkeypatch.setenv("CHINAUMS_TIMEOUT", "0.3")
    assert main(["query", "898340149000005", "HANG0000000000000000000001"]) == 4
    err = capsys.readouterr().err
    assert "unavailable" in err
    assert "msgId qri" in err


def test_query_exits_4_on_bad_configuration(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad setting stops before any lookup, naming the variable."""
    monkeypatch.setenv("CHINAUMS_ENV", "prod")
    assert main(["query", *SEED]) == 4
    assert "CHINAUMS_APP_ID" in capsys.readouterr().err


def test_demo_prints_the_seed_card_through_the_real_app(capsys: pytest.CaptureFixture[str]) -> None:
    """`qrinfo demo` runs a signed command through the app and prints the seed's card."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("测试商户\n")
    assert "¥0.02  ·  in 12 instalments" in out
    assert "• 鸡蛋 × 1 @ ¥0.01 = ¥0.01" in out
    assert "[Open QR code] https://qr-test2.chinaums.com/bills/qrCode.do?id=" in out
    assert "SANDBOX" in out
    assert "acked in" in out


def test_demo_json_prints_the_exact_payload(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints what the app posted to the response_url."""
    assert main(["demo", "--json", "898340149000005 31940000000000000000000000"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["response_type"] == "ephemeral"
    assert "NO_BILL" in json.dumps(payload)
