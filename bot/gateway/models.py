"""Typed request and reply of ``query-qrcode-info`` (fields from the provider's page).

Money is fen as ``int`` (the gateway sends strings or numbers), with a yuan
view as ``Decimal``. Timestamps are aware datetimes in Beijing time. Unknown
fields are ignored; every reply field but ``errCode`` may be missing.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)
from pydantic.alias_generators import to_camel

from bot.gateway.signing import BODY_TIMESTAMP_FORMAT, parse_beijing

FEN_PER_YUAN = Decimal(100)
CENT = Decimal("0.01")


def _integral(value: Any, *, what: str) -> Decimal:
    if isinstance(value, bool):  # bool is an int to Python, never an amount here
        raise ValueError(f"expected {what}, got a boolean")
    if isinstance(value, str):
        value = value.strip()
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"expected {what}, got {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise ValueError(f"expected {what}, got {value!r}")
    return number


def _to_fen(value: Any) -> int:
    number = _integral(value, what="an amount in fen")
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"expected a whole, non-negative number of fen, got {value!r}")
    return int(number)


def _to_count(value: Any) -> int:
    number = _integral(value, what="a whole number")
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"expected a whole, non-negative number, got {value!r}")
    return int(number)


def _to_quantity(value: Any) -> Decimal:
    number = _integral(value, what="a quantity")
    if number < 0:
        raise ValueError(f"expected a non-negative quantity, got {value!r}")
    return number


def _to_beijing_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return parse_beijing(value.strip(), BODY_TIMESTAMP_FORMAT)
    return value


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        return date.fromisoformat(value.strip())
    return value


def blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def code_text(value: Any) -> Any:
    # Gateway-level codes are numeric and some replies send them as numbers.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Fen = Annotated[int, BeforeValidator(_to_fen)]
Count = Annotated[int, BeforeValidator(_to_count)]
Quantity = Annotated[Decimal, BeforeValidator(_to_quantity), PlainSerializer(str)]
BeijingDateTime = Annotated[
    datetime,
    BeforeValidator(_to_beijing_datetime),
    PlainSerializer(lambda v: v.strftime(BODY_TIMESTAMP_FORMAT), return_type=str),
]
GatewayDate = Annotated[date, BeforeValidator(_to_date)]


def yuan(fen: int | Decimal) -> Decimal:
    """Fen to yuan with exactly two decimals: 2 -> Decimal('0.02'). Exact for any size
    (the default context's 28 digits would fail on a gateway's absurd amount)."""
    amount = Decimal(fen)
    if amount.adjusted() < 20:  # well within the default context: the everyday case
        return (amount / FEN_PER_YUAN).quantize(CENT)
    with localcontext() as context:
        context.prec = max(28, amount.adjusted() + 10)
        return (amount / FEN_PER_YUAN).quantize(CENT)


class GatewayModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )


class QueryQrCodeInfoRequest(GatewayModel):
    """The body we send. Field order and names follow the provider's sample."""

    request_timestamp: str
    mid: str
    qr_code_id: str
    msg_id: str | None = Field(default=None, max_length=64)
    src_reserve: str | None = Field(default=None, max_length=255)
    system_id: str | None = Field(default=None, max_length=32)

    def to_bytes(self) -> bytes:
        """Serialise once: these bytes are signed and these bytes are sent."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Goods(GatewayModel):
    """One line of the goods list."""

    goods_id: str | None = None
    goods_name: str | None = None
    quantity: Quantity | None = None
    price: Fen | None = None  # unit price, fen
    goods_category: str | None = None
    body: str | None = None

    @property
    def line_total_fen(self) -> Decimal | None:
        """quantity x price in fen, or None when either is missing."""
        if self.quantity is None or self.price is None:
            return None
        return self.quantity * self.price


class QrCodeInfo(GatewayModel):
    """The reply. ``err_code`` is always there; everything else may be missing."""

    err_code: Annotated[str, BeforeValidator(code_text)]
    err_msg: Annotated[str | None, BeforeValidator(blank_to_none)] = None
    err_info: Annotated[str | None, BeforeValidator(blank_to_none)] = None  # gateway-level text
    request_timestamp: BeijingDateTime | None = None
    response_timestamp: BeijingDateTime | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "responseTimestamp", "responseTimeStamp", "response_timestamp"
        ),
    )
    mid: str | None = None
    tid: str | None = None
    inst_mid: str | None = None
    mer_name: str | None = None
    qr_code_url: str | None = None
    msg_id: str | None = None
    src_reserve: str | None = None
    bill_no: str | None = None
    bill_date: GatewayDate | None = None
    bill_desc: str | None = None
    total_amount: Fen | None = None
    goods: Annotated[list[Goods], BeforeValidator(lambda v: [] if v is None else v)] = []
    member_id: str | None = None
    counter_no: str | None = None
    expire_time: BeijingDateTime | None = None
    notify_url: str | None = None
    return_url: str | None = None
    installment_number: Count | None = None

    @property
    def goods_total_fen(self) -> Decimal | None:
        """Sum of line totals, or None when any line lacks quantity or price."""
        totals = [g.line_total_fen for g in self.goods]
        if not totals or any(t is None for t in totals):
            return None
        return sum((t for t in totals if t is not None), Decimal(0))

    @property
    def message(self) -> str | None:
        """The gateway's text: business replies use errMsg, gateway ones errInfo."""
        return self.err_msg or self.err_info
