"""Hypothesis strategies: gateway replies of any shape the model accepts."""

from __future__ import annotations

from datetime import datetime

from hypothesis import strategies as st

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=4000)
_small_text = st.text(max_size=300)
# Up to absurd: a gateway bug must still give a card (10**28 fen once broke Decimal's context).
_amount = st.one_of(st.integers(0, 10**12), st.integers(0, 10**40).map(str), st.integers(0))
_goods = st.fixed_dictionaries(
    {},
    optional={
        "goodsId": _small_text,
        "goodsName": _text,
        "quantity": st.one_of(
            st.integers(0, 10**6).map(str), st.decimals(0, 10**6, places=3).map(str)
        ),
        "price": _amount,
        "goodsCategory": _small_text,
        "body": _text,
    },
)
# Naive on purpose: the gateway sends Beijing wall-clock text with no zone.
_stamp = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(  # noqa: DTZ001
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)
any_reply = st.fixed_dictionaries(
    {"errCode": st.just("SUCCESS")},
    optional={
        "mid": _text,
        "tid": _text,
        "instMid": _text,
        "merName": _text,
        "qrCodeUrl": st.one_of(
            _text,
            _text.map(lambda t: "https://" + t),
            _text.map(lambda t: "https://qr.95516.com/48020000/" + t),
            st.from_regex(r"https://qr\.95516\.com/48020000/[0-9A-Za-z]{1,32}", fullmatch=True),
        ),
        "msgId": _text,
        "billNo": _text,
        "billDate": st.dates().map(lambda d: d.isoformat()),
        "billDesc": _text,
        "totalAmount": _amount,
        "goods": st.lists(_goods, max_size=250),
        "memberId": _text,
        "counterNo": _text,
        "expireTime": _stamp,
        "installmentNumber": st.integers(0, 1000),
    },
)
