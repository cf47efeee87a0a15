"""Several QR codes of one merchant at once: read in order, repeats dropped, at most
MAX_BATCH, and what cannot be read refused with why."""

from __future__ import annotations

import pytest

from bot.gateway.ids import QrCodeRef
from bot.service.batch_limit import TooManyLookups
from bot.slack.reading.batch import (
    BATCH_EXAMPLE,
    a_mid_among_codes,
    distinct_codes,
    read_batch,
    too_many_codes,
)
from bot.slack.reading.pasted import BatchRequest, UsageError, normalise, read_values

MID = "898340149000005"
QR = "31942002268195125132885377"
OTHER = "31942611251400310000445566"
URL = f"https://qr.95516.com/48020000/{QR}"
SEED = QrCodeRef(mid=MID, qr_code_id=QR)
PROD = QrCodeRef(mid=MID, qr_code_id=QR, env="prod")


def read(text: str) -> BatchRequest | QrCodeRef:
    """A list as the command reads it: normalised, split into values, then the batch."""
    return read_batch(read_values(normalise(text)))


@pytest.mark.parametrize(
    ("text", "refs", "duplicates"),
    [
        (f"{MID} {QR} {OTHER}", [SEED, QrCodeRef(MID, OTHER)], 0),
        (f"{MID}, {QR},{OTHER}\n{QR}", [SEED, QrCodeRef(MID, OTHER)], 1),
        (f"{QR} {OTHER} 商户号：{MID}", [SEED, QrCodeRef(MID, OTHER)], 0),
        (
            f"{MID} {URL} https://qr-test2.chinaums.com/bills/qrCode.do?id={OTHER} {QR}",
            [PROD, QrCodeRef(MID, OTHER, env="test"), SEED],
            0,
        ),
    ],
)
def test_a_merchant_number_and_several_codes_is_a_batch_without_duplicates(
    text: str, refs: list[QrCodeRef], duplicates: int
) -> None:
    """A merchant number and several ids or URLs is a batch, in order, repeats dropped."""
    assert read(text) == BatchRequest(tuple(refs), duplicates=duplicates)


@pytest.mark.parametrize("text", [f"{MID}。{QR}。{QR}。", f"【{MID}】【{QR}】【{QR}】"])
def test_one_code_typed_twice_is_one_lookup(text: str) -> None:
    """A repeat is dropped; what is left is the single lookup, not a batch of one."""
    assert read(text) == SEED


def test_a_batch_of_twenty_is_taken_and_twenty_one_is_refused() -> None:
    """20 distinct codes is a batch; 21 is refused, repeats not counted."""
    ids = [f"{n:026}" for n in range(1, 22)]
    batch = read(" ".join([MID, *ids[:20], ids[0]]))
    assert isinstance(batch, BatchRequest)
    assert (len(batch.refs), batch.duplicates) == (20, 1)
    with pytest.raises(UsageError) as caught:
        read(" ".join([MID, *ids]))
    assert "That is 21 QR codes; /qrinfo looks up at most 20 at once" in str(caught.value)
    assert BATCH_EXAMPLE in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{URL} {QR} {MID}", "merchant number first"),
        (f"商户号：{MID} mid：{MID} {QR}", "of one merchant"),
        (f"{MID} {QR} 3194-bad-id", "`3194-bad-id` is not a QR code id"),
        (f"{MID} {QR} https://evil.example/x", "`https://evil.example/x` is not a Chinaums"),
        (f"{MID} 898340149000006 {QR}", "`898340149000006` looks like a merchant number"),
        (f"{MID} 商户号：898340149000006 {QR}", "`898340149000005` looks like a merchant number"),
    ],
)
def test_a_batch_that_cannot_be_read_says_why(text: str, says: str) -> None:
    """No merchant number first, two merchants, a bad id: refused."""
    with pytest.raises(UsageError) as caught:
        read(text)
    assert says in str(caught.value.problem)


def test_an_id_and_the_same_id_from_another_gateway_are_two_codes_but_one_id() -> None:
    """Distinct by (gateway, id), in the order typed; the limit counts the ids."""
    refs = [SEED, PROD, SEED, QrCodeRef(MID, OTHER)]
    assert distinct_codes(refs) == (SEED, PROD, QrCodeRef(MID, OTHER))
    with pytest.raises(TooManyLookups) as caught:
        distinct_codes(QrCodeRef(MID, f"{n:026}") for n in range(21))
    assert caught.value.count == 21


def test_the_forms_words_for_too_many_and_a_mid_among_codes() -> None:
    assert str(too_many_codes(21)) == "That is 21 QR codes; look up at most 20 at once."
    error = a_mid_among_codes("8" * 60)
    assert error.field == "qrCodeId"
    assert f"`{'8' * 40}` looks like a merchant number" in str(error.problem)
