"""A micro-benchmark: microseconds to draw one typical found card, as the listener does.

``outcome_card(...)``, then ``.block_dicts()`` and ``json.dumps`` of the response_url's body:
the card's own CPU, without Bolt, aiohttp or the gateway. One process, a few seconds:
``uv run python bench/cards.py [--cards N] [--rounds R]``; prints the best round's figure.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.i18n import ENGLISH
from bot.service.answer import Answer
from bot.service.lookup import Outcome
from bot.slack.cards.outcome import outcome_card

NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)
REF = QrCodeRef("898340149000005", "31942002268195125132885377", env="sandbox")
REPLY = {  # the sandbox's seed code, as the provider's documentation shows it
    "errCode": "SUCCESS",
    "mid": "898340149000005",
    "tid": "00000001",
    "instMid": "QRPAYDEFAULT",
    "merName": "测试商户",
    "qrCodeUrl": "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
    "msgId": "800000000010",
    "billNo": "10A31689733046250",
    "billDate": "2020-02-26",
    "billDesc": "test create qrCode",
    "totalAmount": "2",
    "goods": [{"goodsId": "001", "goodsName": "鸡蛋", "quantity": "1", "price": "1"}],
    "memberId": "20200226001",
    "counterNo": "02",
    "expireTime": "2030-02-26 13:51:25",
    "installmentNumber": "12",
}


def one_card(outcome: Outcome) -> str:
    card = outcome_card(outcome, tr=ENGLISH, now=NOW)
    body = {"response_type": "ephemeral", "text": card.text, "blocks": card.block_dicts()}
    return json.dumps(body, ensure_ascii=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=2000, help="cards a round (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best counts")
    args = parser.parse_args()
    info = QrCodeInfo.model_validate(REPLY)
    answer = Answer("qri0001", info, NOW - timedelta(seconds=1), 42.0)
    outcome = Outcome(REF, answer=answer)
    one_card(outcome)  # warm: translations, caches
    rounds = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _ in range(args.cards):
            one_card(outcome)
        rounds.append((time.perf_counter() - start) / args.cards * 1e6)
    print(f"{min(rounds):.1f} µs per found card (best of {args.rounds} x {args.cards})")


if __name__ == "__main__":
    main()
