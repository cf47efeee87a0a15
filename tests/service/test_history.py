"""Each person's last lookups: theirs only, newest first, bounded in people, entries and
age; what a lookup keeps; Redis shared, and lost quietly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.gateway.errors import GatewayRejected
from bot.gateway.ids import QrCodeRef
from bot.gateway.models import QrCodeInfo
from bot.service.answer import Answer
from bot.service.history import HISTORY_KEPT, KEEP_SECONDS, MERCHANT_CHARS, History, Looked, looked
from bot.store.redis import FleetStore
from tests.store.helpers import refusing_redis_url

NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
REF = QrCodeRef("898340149000005", "31942002268195125132885377", env="prod")


def entry(n: int = 0, *, at: datetime = NOW) -> Looked:
    return Looked("prod", REF.mid, f"{n:026}", "found", at, merchant="店", amount_fen=100 + n)


async def test_each_person_sees_their_own_newest_first_and_at_most_the_kept_number() -> None:
    """Twelve lookups: the last ten, newest first; another person has none."""
    history = History()
    for n in range(12):
        await history.add("U1", entry(n))
    kept = await history.of("U1", now=NOW)
    assert [e.qr_code_id for e in kept] == [f"{n:026}" for n in range(11, 1, -1)]
    assert len(kept) == HISTORY_KEPT
    assert await history.of("U2", now=NOW) == []


async def test_the_least_recently_seen_person_leaves_first() -> None:
    history = History(people=2)
    for user in ("U1", "U2", "U1", "U3"):
        await history.add(user, entry())
    assert await history.of("U2", now=NOW) == []
    assert len(await history.of("U1", now=NOW)) == 2


async def test_a_lookup_older_than_the_keeping_time_is_not_shown() -> None:
    history = History()
    await history.add("U1", entry(1, at=NOW - timedelta(seconds=KEEP_SECONDS + 1)))
    await history.add("U1", entry(2))
    assert [e.qr_code_id for e in await history.of("U1", now=NOW)] == [f"{2:026}"]


def test_a_found_lookup_keeps_the_merchant_clipped_the_amount_and_nothing_else() -> None:
    """The merchant's name on one line, clipped; the amount in fen; a refusal: the code."""
    info = QrCodeInfo.model_validate(
        {"errCode": "00", "merName": "A\n" + "b" * 300, "totalAmount": 1234}
    )
    kept = looked(REF, "found", Answer("m1", info, NOW, 10.0), at=NOW)
    assert kept.merchant == ("A " + "b" * 300)[:MERCHANT_CHARS]
    assert (kept.amount_fen, kept.payment, kept.env) == (1234, None, "prod")
    rejected = Answer("m2", GatewayRejected(code="NO_BILL", message="", msg_id=None), NOW, 1.0)
    assert looked(REF, "NO_BILL", rejected, at=NOW).merchant is None
    assert looked(REF, "refused", None, at=NOW).outcome == "refused"
    with pytest.raises(ValueError, match="never routed"):
        looked(replace(REF, env=None), "found", None, at=NOW)


@pytest.mark.parametrize(
    "text",
    ['{"env": "moon"}', "[]", "not json", entry().encode().replace('"mid": "', '"mid": "x')],
    ids=["unknown-env", "a-list", "not-json", "bad-mid"],
)
def test_an_unreadable_entry_is_refused(text: str) -> None:
    with pytest.raises((ValueError, TypeError, KeyError, AttributeError)):
        Looked.decode(text)


def test_an_entry_reads_back_as_written() -> None:
    assert Looked.decode(entry(3).encode()) == entry(3)


async def test_replicas_share_the_list_through_redis_and_skip_what_they_cannot_read(
    redis_url: str,
) -> None:
    """One replica's lookup is in another's list; a hand-written value is skipped."""
    stores = [FleetStore(redis_url), FleetStore(redis_url)]
    first, second = (History(store=store) for store in stores)
    await first.add("U1", entry(1))
    await stores[0].redis.lpush("qrinfo:history:U1", "garbage")
    assert [e.qr_code_id for e in await second.of("U1", now=NOW)] == [f"{1:026}"]
    for store in stores:
        await store.aclose()


async def test_without_redis_the_process_own_memory_answers() -> None:
    with refusing_redis_url() as url:
        store = FleetStore(url)
        history = History(store=store)
        await history.add("U1", entry(1))
        assert [e.qr_code_id for e in await history.of("U1", now=NOW)] == [f"{1:026}"]
        assert store.degraded
        await store.aclose()
