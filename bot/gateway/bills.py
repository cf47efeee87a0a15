"""Typed request and reply of ``bills/query`` (账单查询): a bill's payment status.

What is known of the reply, with sources and how sure each fact is, is on the docs'
Gateway page. It is read tolerantly: ``billPayment`` may come as an object or as a JSON
string; a ``billStatus`` we do not know is kept as the provider wrote it, never guessed;
any field that does not read (a number for a text, an absurd amount, a time in another
shape) is dropped on its own rather than failing the reply.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from bot.gateway.models import (
    BeijingDateTime,
    Fen,
    GatewayDate,
    GatewayModel,
    QrCodeInfo,
    blank_to_none,
    code_text,
)

DEFAULT_INST_MID = "QRPAYDEFAULT"  # the product's own, when a QR code's reply names none

PaymentState = Literal["paid", "unpaid", "refunded", "closed", "unknown"]
_STATES: dict[str, PaymentState] = {
    "PAID": "paid",
    "UNPAID": "unpaid",
    "REFUND": "refunded",
    "CLOSED": "closed",
}


@dataclass(frozen=True, slots=True)
class BillRef:
    """A bill as ``query-qrcode-info`` names it: everything ``bills/query`` is asked with."""

    mid: str
    tid: str
    inst_mid: str
    bill_no: str
    bill_date: date  # the bill's own date, never today's

    @classmethod
    def of(cls, info: QrCodeInfo) -> BillRef | None:
        """The bill *info* names, or None when it names none (no bill number or date, no
        merchant or terminal: nothing to ask, so nothing is asked)."""
        if not (info.bill_no and info.bill_date and info.mid and info.tid):
            return None
        return cls(
            mid=info.mid,
            tid=info.tid,
            inst_mid=info.inst_mid or DEFAULT_INST_MID,
            bill_no=info.bill_no,
            bill_date=info.bill_date,
        )


class BillsQueryRequest(GatewayModel):
    """The body we send. Field order and names follow the provider's sample."""

    request_timestamp: str
    mid: str
    tid: str
    inst_mid: str
    bill_no: str
    bill_date: str  # yyyy-MM-dd
    msg_id: str | None = Field(default=None, max_length=64)
    src_reserve: str | None = Field(default=None, max_length=255)

    def to_bytes(self) -> bytes:
        """Serialise once: these bytes are signed and these bytes are sent."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _object_or_json_text(value: Any) -> Any:
    """billPayment as an object, whether it came as one or as a JSON string of one; None
    when it is neither (it is shown as missing, not guessed)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The value read as its field reads it, or None when it does not read."""
    try:
        return handler(value)
    except ValidationError:
        return None


Lenient = WrapValidator(_or_none)
MOST_FEN = 10**15  # ten trillion yuan: anything above is a garbled amount, dropped


def _plausible_fen(fen: int) -> int:
    if fen > MOST_FEN:
        raise ValueError(f"an amount above {MOST_FEN} fen")
    return fen


def _text_only(value: Any) -> Any:
    """A time as the gateway writes it (text); a number would be read as a Unix time."""
    return value if isinstance(value, str) else None


BillFen = Annotated[Fen | None, AfterValidator(lambda v: v if v is None else _plausible_fen(v))]


class BillPayment(GatewayModel):
    """How the bill was paid. Every field may be missing; one that does not read is dropped
    (a payTime in an odd shape must not lose the wallet)."""

    pay_time: Annotated[BeijingDateTime | None, BeforeValidator(_text_only), Lenient] = None
    target_sys: Annotated[str | None, BeforeValidator(blank_to_none), Lenient] = None
    total_amount: Annotated[BillFen, Lenient] = None
    buyer_pay_amount: Annotated[BillFen, Lenient] = None
    status: Annotated[str | None, BeforeValidator(blank_to_none), Lenient] = None
    pay_seq_id: Annotated[str | None, Lenient] = None
    settle_date: Annotated[GatewayDate | None, Lenient] = None


class BillInfo(GatewayModel):
    """The reply: the bill's status as the provider wrote it, and how it was paid."""

    err_code: Annotated[str, BeforeValidator(code_text)]
    err_msg: Annotated[str | None, BeforeValidator(blank_to_none), Lenient] = None
    err_info: Annotated[str | None, BeforeValidator(blank_to_none), Lenient] = None
    bill_no: Annotated[str | None, BeforeValidator(code_text), Lenient] = None
    bill_date: Annotated[GatewayDate | None, Lenient] = None
    # A number is kept as its text: an unknown status is shown as the provider wrote it.
    bill_status: Annotated[
        str | None, BeforeValidator(code_text), BeforeValidator(blank_to_none), Lenient
    ] = None
    total_amount: Annotated[BillFen, Lenient] = None
    bill_payment: Annotated[BillPayment | None, BeforeValidator(_object_or_json_text), Lenient] = (
        None
    )

    @property
    def state(self) -> PaymentState:
        """paid | unpaid | refunded | closed, or unknown (``bill_status`` says what it was)."""
        return _STATES.get((self.bill_status or "").strip().upper(), "unknown")
