"""A Payment: what its status is, whether it may be kept, and its JSON for the replicas."""

from __future__ import annotations

from bot.gateway.attempts import Attempts
from bot.gateway.bills import BillInfo
from bot.gateway.models import QrCodeInfo
from bot.service.payment import Payment, decode_payment, encode_payment, payment_of
from tests.gateway.helpers import SEED_REPLY
from tests.helpers import ClientFactory

PAID = BillInfo.model_validate(
    {
        "errCode": "SUCCESS",
        "billStatus": "PAID",
        "billPayment": '{"payTime": "2026-11-25 11:45:58", "targetSys": "WXPay"}',
    }
)


def test_the_status_is_the_bills_state_no_bill_or_unavailable() -> None:
    assert Payment("q", bill=PAID).status == "paid"
    assert Payment("q", code="NO_BILL").status == "no-bill"
    assert Payment("q", code="NO_ORDER").status == "no-bill"
    assert Payment("q", code="SYSTEM_BUSY", problem="busy").status == "unavailable"
    assert Payment("q", problem="HTTP 502").status == "unavailable"


def test_only_an_answer_may_be_kept() -> None:
    assert Payment("q", bill=PAID).definite
    assert Payment("q", code="NO_BILL").definite
    assert not Payment("q", problem="timed out").definite


def test_a_payment_goes_to_the_other_replicas_and_back_unchanged() -> None:
    for payment in (Payment("q", bill=PAID), Payment("q", code="NO_BILL", problem="no bill")):
        assert decode_payment(encode_payment(payment)) == payment
    assert decode_payment(encode_payment(None)) is None


async def test_no_bill_or_no_time_asked_for_means_no_payment_call(
    make_client: ClientFactory,
) -> None:
    """payment_of asks nothing for a code naming no bill, nor when the status is turned off
    (CHINAUMS_PAYMENT_TIMEOUT=0): the card then has no payment section at all."""
    client = make_client()
    seed = QrCodeInfo.model_validate(SEED_REPLY)
    no_bill = QrCodeInfo.model_validate(SEED_REPLY | {"billNo": None})
    asked = Attempts(msg_id=None)
    assert await payment_of(client, no_bill, most=2.0, asked=asked) is None
    assert await payment_of(client, seed, most=0.0, asked=asked) is None
