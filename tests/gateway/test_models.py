"""The reply model against the provider's sample and the shapes real replies take."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.gateway.models import QrCodeInfo, QueryQrCodeInfoRequest, yuan
from bot.gateway.signing import BEIJING
from tests.gateway.helpers import SEED_REPLY


def test_seed_sample_parses_every_field() -> None:
    """Every field of the provider's sample lands in its typed attribute."""
    info = QrCodeInfo.model_validate(SEED_REPLY)
    assert info.err_code == "SUCCESS"
    assert info.request_timestamp == datetime(2020, 2, 26, 14, 16, 20, tzinfo=BEIJING)
    assert (info.mid, info.tid, info.inst_mid) == ("898340149000005", "00000001", "QRPAYDEFAULT")
    assert info.mer_name == "测试商户"
    assert info.qr_code_url == SEED_REPLY["qrCodeUrl"]
    assert info.err_msg == "查询二维码静态信息成功"
    assert (info.msg_id, info.src_reserve) == ("800000000010", "test")
    assert (info.bill_no, info.bill_date) == ("10A31689733046250", date(2020, 2, 26))
    assert info.bill_desc == "test create qrCode"
    assert info.total_amount == 2
    assert info.total_amount is not None
    assert yuan(info.total_amount) == Decimal("0.02")
    [egg] = info.goods
    assert (egg.goods_id, egg.goods_name, egg.quantity, egg.price) == ("001", "鸡蛋", Decimal(1), 1)
    assert (egg.goods_category, egg.body) == ("food meterial", "two eggs")
    assert (info.member_id, info.counter_no) == ("20200226001", "02")
    assert info.expire_time == datetime(2030, 2, 26, 13, 51, 25, tzinfo=BEIJING)
    assert info.expire_time.utcoffset() == timedelta(hours=8)
    assert info.notify_url == "http://www.test.com/notify"
    assert info.return_url == "http://www.test.com/return"
    assert info.installment_number == 12


def test_amounts_sent_as_json_numbers_parse_like_strings() -> None:
    """totalAmount, price, quantity and installmentNumber as numbers give the same values."""
    reply = SEED_REPLY | {
        "totalAmount": 1999,
        "installmentNumber": 3,
        "goods": [{"goodsName": "茶", "quantity": 2, "price": 999.0}],
    }
    info = QrCodeInfo.model_validate(reply)
    assert info.total_amount == 1999
    assert info.total_amount is not None
    assert yuan(info.total_amount) == Decimal("19.99")
    assert info.goods[0].price == 999
    assert info.goods[0].line_total_fen == 1998
    assert info.installment_number == 3


def test_reply_with_only_errcode_parses() -> None:
    """Every field but errCode may be missing."""
    info = QrCodeInfo.model_validate({"errCode": "NO_BILL"})
    assert info.err_code == "NO_BILL"
    assert info.goods == []
    assert info.total_amount is None
    assert info.total_amount is None
    assert info.expire_time is None


def test_reply_without_errcode_is_refused() -> None:
    """errCode is the one field a reply must have."""
    with pytest.raises(ValidationError):
        QrCodeInfo.model_validate({"merName": "x"})


@pytest.mark.parametrize("spelling", ["responseTimestamp", "responseTimeStamp"])
def test_both_spellings_of_response_timestamp_are_read(spelling: str) -> None:
    """Some replies spell it responseTimeStamp; both land in the same field."""
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", spelling: "2026-11-25 12:00:00"})
    assert info.response_timestamp == datetime(2026, 11, 25, 12, 0, 0, tzinfo=BEIJING)


def test_unknown_fields_are_ignored() -> None:
    """A field the provider adds tomorrow does not break today's bot."""
    info = QrCodeInfo.model_validate({"errCode": "SUCCESS", "somethingNew": {"a": 1}})
    assert info.err_code == "SUCCESS"


def test_numeric_errcode_is_read_as_text() -> None:
    """Gateway-level codes may arrive as JSON numbers; they are kept as strings."""
    assert QrCodeInfo.model_validate({"errCode": 1000}).err_code == "1000"


@pytest.mark.parametrize(
    "amount",
    ["abc", "-1", "1.5", True, "NaN"],
    ids=["letters", "negative", "fraction-of-fen", "boolean", "nan"],
)
def test_unreadable_amounts_are_refused(amount: object) -> None:
    """An amount that is not a whole, non-negative number of fen is an error, not a guess."""
    with pytest.raises(ValidationError, match="totalAmount"):
        QrCodeInfo.model_validate({"errCode": "SUCCESS", "totalAmount": amount})


@given(fen=st.integers(min_value=0, max_value=10**12), as_text=st.booleans())
def test_any_whole_fen_amount_reads_back_exactly(fen: int, as_text: bool) -> None:
    """Fen as a string or a number parse to the same int; yuan is fen / 100 to the cent."""
    info = QrCodeInfo.model_validate(
        {"errCode": "SUCCESS", "totalAmount": str(fen) if as_text else fen}
    )
    assert info.total_amount == fen
    assert info.total_amount is not None
    assert yuan(info.total_amount) == Decimal(fen) / 100
    assert str(yuan(fen)).count(".") == 1
    assert len(str(yuan(fen)).split(".")[1]) == 2


def test_goods_total_is_none_when_a_line_lacks_price() -> None:
    """The goods sum is only claimed when every line has quantity and price."""
    info = QrCodeInfo.model_validate(
        {"errCode": "SUCCESS", "goods": [{"quantity": "1", "price": "5"}, {"quantity": "1"}]}
    )
    assert info.goods_total_fen is None


def test_request_serialises_the_seed_fields_in_order_as_utf8() -> None:
    """The body carries the sample's six fields, compact, with Chinese left unescaped."""
    request = QueryQrCodeInfoRequest(
        request_timestamp="2020-02-26 14:13:24",
        mid="898340149000005",
        qr_code_id="31942002268195125132885377",
        msg_id="800000000010",
        src_reserve="测试",
        system_id="35325423",
    )
    body = request.to_bytes()
    assert list(json.loads(body)) == [
        "requestTimestamp",
        "mid",
        "qrCodeId",
        "msgId",
        "srcReserve",
        "systemId",
    ]
    assert "测试".encode() in body
    assert b" " not in body.replace(b"2020-02-26 14:13:24", b"")


def test_request_leaves_out_optional_fields_that_are_unset() -> None:
    """srcReserve and systemId are absent, not null, when not configured."""
    request = QueryQrCodeInfoRequest(
        request_timestamp="2020-02-26 14:13:24", mid="898340149000005", qr_code_id="3194200226"
    )
    assert json.loads(request.to_bytes()) == {
        "requestTimestamp": "2020-02-26 14:13:24",
        "mid": "898340149000005",
        "qrCodeId": "3194200226",
    }
