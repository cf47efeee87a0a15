"""Which language each reader gets: their Slack locale, asked once at a time per user and
cached (failures for less long), else the default; never a failed lookup over it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.slack.webapi.language import (
    FAILURE_TTL_SECONDS,
    LOCALE_TTL_SECONDS,
    Reader,
    Readers,
    language_of,
    users_info_locale,
)
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import HELD_SECONDS, WAIT, Clock, released_by_hand, web_client


class ChineseLookup:
    """A users.info that says zh-CN for everyone, and records whom it was asked about."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, client: Any, user: str) -> str:
        self.calls.append(user)
        return "zh-CN"


async def test_readers_ask_slack_once_at_a_time_per_user() -> None:
    """Ten cards at once for one new user: one users.info; the answer is then remembered."""
    calls: list[str] = []
    answer = asyncio.Event()

    async def lookup(client: Any, user: str) -> str:
        calls.append(user)
        await answer.wait()
        return "zh-CN"

    readers = Readers("en", lookup=lookup)
    waiting = [readers.reader(None, "U1").translator() for _ in range(10)]  # type: ignore[arg-type]
    answer.set()
    assert {tr.language for tr in await asyncio.gather(*waiting)} == {"zh"}
    assert readers.known("U1").language == "zh"
    assert (await readers.reader(None, "U1").translator()).language == "zh"  # type: ignore[arg-type]
    assert calls == ["U1"]


@pytest.mark.parametrize(
    ("locale", "language"),
    [("zh-CN", "zh"), ("zh_TW", "zh"), ("ZH", "zh"), ("en-US", "en"), ("ja-JP", "en"),
     ("", None), (None, None)],
)  # fmt: skip
def test_a_chinese_locale_is_chinese_any_other_english(
    locale: str | None, language: str | None
) -> None:
    assert language_of(locale) == language


async def test_the_locale_is_asked_of_users_info_with_include_locale(
    slack_api: FakeSlackApi,
) -> None:
    slack_api.locales["U1"] = "zh-CN"
    assert await users_info_locale(web_client(slack_api), "U1") == "zh-CN"
    [call] = slack_api.of("users.info")
    assert call["user"] == "U1"
    assert call["include_locale"] in {"1", "true"}


async def test_a_failed_read_is_the_default_and_asked_again_after_a_while() -> None:
    """Slack would not say: the default, for FAILURE_TTL_SECONDS, then asked again."""
    calls: list[str] = []

    async def failing(client: Any, user: str) -> str:
        calls.append(user)
        raise TimeoutError

    clock = Clock()
    readers = Readers("zh", lookup=failing, clock=clock)
    assert (await readers.reader(None, "U1").translator()).language == "zh"  # type: ignore[arg-type]
    await readers.reader(None, "U1").translator()  # type: ignore[arg-type]
    assert calls == ["U1"]
    clock.now += FAILURE_TTL_SECONDS
    await readers.reader(None, "U1").translator()  # type: ignore[arg-type]
    assert calls == ["U1", "U1"]


async def test_a_known_language_is_kept_for_an_hour() -> None:
    lookup = ChineseLookup()
    clock = Clock()
    readers = Readers("en", lookup=lookup, clock=clock)
    await readers.reader(None, "U1").translator()  # type: ignore[arg-type]
    clock.now += LOCALE_TTL_SECONDS - 1
    assert readers.known("U1").language == "zh"
    clock.now += 1
    assert readers.known("U1").language == "en"


async def test_under_a_burst_slack_is_asked_once_the_acks_have_caught_up() -> None:
    """A request just arrived: users.info waits for the quiet time (the acks go first),
    then is asked; the card waiting for it gets the reader's language."""
    lookup = ChineseLookup()
    calls = lookup.calls
    clock = Clock()
    acks_first = released_by_hand(clock)
    readers = Readers("en", lookup=lookup, acks_first=acks_first)
    acks_first.arrived()
    acks_first.arrived()  # a burst
    reader = readers.reader(None, "U1")  # type: ignore[arg-type]
    for _ in range(5):
        await asyncio.sleep(0)
    assert (calls, len(acks_first)) == ([], 1)
    clock.now += HELD_SECONDS
    acks_first.release_due()
    await asyncio.sleep(0)
    assert calls == ["U1"]  # asked before anyone wanted the language
    assert (await reader.translator()).language == "zh"
    assert calls == ["U1"]


async def test_a_language_wanted_now_is_asked_at_once_even_under_a_burst() -> None:
    """The form (its trigger lasts 3 s) or a card drawn before the acks caught up: the
    held ask goes as soon as the language is wanted, and once only."""
    lookup = ChineseLookup()
    calls = lookup.calls
    acks_first = released_by_hand(Clock())  # never released here
    readers = Readers("en", lookup=lookup, acks_first=acks_first)
    acks_first.arrived()
    acks_first.arrived()
    first, second = readers.reader(None, "U1"), readers.reader(None, "U1")  # type: ignore[arg-type]
    for _ in range(5):
        await asyncio.sleep(0)
    assert calls == []
    assert (await asyncio.wait_for(second.translator(wait=60), WAIT)).language == "zh"
    assert (await first.translator()).language == "zh"
    assert calls == ["U1"]


async def test_a_reader_cancelled_while_held_is_asked_afresh_next_time() -> None:
    """Cancelled before its turn (a stop): nothing cached, nothing left asking."""
    lookup = ChineseLookup()
    calls = lookup.calls
    clock = Clock()
    acks_first = released_by_hand(clock)
    readers = Readers("en", lookup=lookup, acks_first=acks_first)
    acks_first.arrived()
    acks_first.arrived()
    before = asyncio.all_tasks()
    readers.reader(None, "U1")  # type: ignore[arg-type]
    [asking] = asyncio.all_tasks() - before
    await asyncio.sleep(0)
    asking.cancel()
    await asyncio.sleep(0)
    assert asking.cancelled()
    clock.now += HELD_SECONDS
    assert (await readers.reader(None, "U1").translator()).language == "zh"  # type: ignore[arg-type]
    assert calls == ["U1"]


async def test_no_more_readers_than_max_asking_are_asked_of_slack_together() -> None:
    """Six new readers, max_asking two: the others wait their turn, and each
    gets their own language."""
    asked, most, answer = [0], [0], asyncio.Event()

    async def lookup(client: Any, user: str) -> str:
        asked[0] += 1
        most[0] = max(most[0], asked[0])
        await answer.wait()
        asked[0] -= 1
        return "zh-CN" if user.endswith(("0", "2", "4")) else "en-US"

    readers = Readers("en", lookup=lookup, max_asking=2)
    cards = [readers.reader(None, f"U{n}").translator() for n in range(6)]  # type: ignore[arg-type]
    for _ in range(5):
        await asyncio.sleep(0)
    assert asked[0] == 2
    answer.set()
    languages = [tr.language for tr in await asyncio.gather(*cards)]
    assert languages == ["zh", "en", "zh", "en", "zh", "en"]
    assert most[0] == 2


async def test_readers_waiting_their_turn_give_up_within_the_call_limit() -> None:
    """Slack hangs: those waiting behind the asks in flight give up within the same limit
    as a call (as they did in the connections' queue), not one limit after another."""
    hung = asyncio.Event()

    async def lookup(client: Any, user: str) -> str:
        await hung.wait()
        return "zh-CN"

    readers = Readers("en", lookup=lookup, max_asking=1, ask_within=0.05)
    readers.wait = 60  # the cards would wait: only the asks' own limit settles them
    cards = [readers.reader(None, f"U{n}").translator(wait=60) for n in range(4)]  # type: ignore[arg-type]
    languages = await asyncio.wait_for(asyncio.gather(*cards), WAIT)
    assert [tr.language for tr in languages] == ["en"] * 4


async def test_a_reader_cancelled_before_its_ask_began_is_asked_afresh_next_time() -> None:
    """Cancelled in the same turn it was made (a stop), the ask never ran its own cleanup:
    the next reader of that user still asks Slack."""
    lookup = ChineseLookup()
    calls = lookup.calls
    acks_first = released_by_hand(Clock())
    readers = Readers("en", lookup=lookup, acks_first=acks_first)
    acks_first.arrived()
    acks_first.arrived()
    before = asyncio.all_tasks()
    readers.reader(None, "U1")  # type: ignore[arg-type]
    [asking] = asyncio.all_tasks() - before
    asking.cancel()  # before its first step
    await asyncio.sleep(0)
    assert (await readers.reader(None, "U1").translator()).language == "zh"  # type: ignore[arg-type]
    assert calls == ["U1"]


async def test_no_user_or_no_lookup_is_the_default_without_asking() -> None:
    readers = Readers("zh", lookup=None)
    assert (await readers.reader(None, "U1").translator()).language == "zh"  # type: ignore[arg-type]
    assert readers.channel.language == "zh"
    assert readers.known(None).language == "zh"


async def test_a_reader_waits_at_most_its_wait_then_answers_in_the_default() -> None:
    """A locale Slack has not given yet: the default now, and without waiting at all."""
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    reader = Reader("en", pending, wait=0.0)
    assert reader.translator_now().language == "en"
    assert (await reader.translator()).language == "en"
    pending.set_result("zh")
    assert reader.translator_now().language == "zh"
