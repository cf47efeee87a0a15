"""Which language each reader gets: their Slack locale (users.info), else QRINFO_LANGUAGE.

The locale is asked for after the ack, beside the lookup, and cached per user: it
never delays an ack (under a burst it is asked once the acks have caught up, or when
the card wants it: :mod:`bot.slack.webapi.acks_first`), and a Slack that will not say (no
``users:read`` scope, an error, no answer within :data:`LOCALE_WAIT_SECONDS`) never
fails a lookup, whose card is then in the default language. Anything posted for a
whole channel is in the default language: see docs/languages.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.http1 import Http1Pool
from bot.i18n import LANGUAGES, Language, Translator
from bot.i18n.catalogue import translator
from bot.slack.webapi.acks_first import AcksFirst
from bot.slack.webapi.errors import error_code
from bot.slack.webapi.wire import on_shared_session, users_info
from bot.store.redis import FleetStore

log = logging.getLogger(__name__)

LOCALE_WAIT_SECONDS = 2.0  # how long a card waits for a locale Slack has not yet given
LOCALE_CALL_SECONDS = 3.0  # how long a users.info call may hold a connection at all
LOCALE_TTL_SECONDS = 3600.0  # people rarely change their Slack language
FAILURE_TTL_SECONDS = 300.0  # after Slack would not say: the default, then ask again
MAX_READERS = 50_000  # cached users; the least recently asked leave first

LocaleLookup = Callable[[AsyncWebClient, str], Awaitable[str | None]]


def language_of(locale: str | None) -> Language | None:
    """``zh-CN``, ``zh-TW``, any ``zh-*`` (or ``zh_*``) -> Chinese; any other locale -> English;
    None: unknown."""
    if not locale:
        return None
    return "zh" if locale.lower().replace("_", "-").split("-")[0] == "zh" else "en"


async def users_info_locale(
    client: AsyncWebClient,
    user_id: str,
    *,
    seconds: float = LOCALE_CALL_SECONDS,
    connections: Http1Pool | None = None,
) -> str | None:
    """The user's Slack locale (``users.info`` with ``include_locale``; needs ``users:read``),
    on *connections* when given (:func:`~bot.slack.webapi.wire.users_info`).

    Cut short after *seconds* (TimeoutError): nobody waits longer for it, and a hung call
    must not hold a connection for the Web API client's 10 s.
    """
    async with asyncio.timeout(seconds):
        if on_shared_session(client):  # the same call, without slack_sdk's per-call machinery
            response = await users_info(client, user_id, connections=connections)
        else:
            response = await client.users_info(user=user_id, include_locale=True)
    user = response.get("user")
    locale = user.get("locale") if isinstance(user, dict) else None
    return locale if isinstance(locale, str) else None


class Reader:
    """One request's reader and the language they are answered in, once known."""

    def __init__(
        self,
        default: Language,
        pending: asyncio.Future[Language | None] | None,
        *,
        wait: float = LOCALE_WAIT_SECONDS,
        held: asyncio.Future[None] | None = None,
    ) -> None:
        self._default = default
        self._pending = pending
        self._wait = wait
        self._held = held  # the ask, held while the acks catch up (AcksFirst)

    async def translator(self, wait: float | None = None) -> Translator:
        """Their language, waiting for Slack at most *wait* s (else the readers' wait);
        the default after that. Wanted now: an ask still held goes at once."""
        wait = self._wait if wait is None else min(wait, self._wait)
        if self._pending is not None and not self._pending.done():
            if self._held is not None and not self._held.done():
                self._held.set_result(None)
            done, _ = await asyncio.wait({self._pending}, timeout=wait)
            if not done:
                log.info("no locale from Slack within %.1f s; answering in the default", wait)
        return self.translator_now()

    def translator_now(self) -> Translator:
        """Their language if already known, else the default: never waits."""
        pending = self._pending
        settled = pending is not None and pending.done() and not pending.cancelled()
        known = pending.result() if settled and pending is not None else None
        return translator(known or self._default)


class Readers:
    """Languages of readers: cached per user, asked of Slack once at a time per user (and
    at most *max_asking* at once in all)."""

    def __init__(
        self,
        default: Language,
        *,
        lookup: LocaleLookup | None = users_info_locale,
        store: FleetStore | None = None,
        acks_first: AcksFirst | None = None,
        max_asking: int | None = None,
        ask_within: float = LOCALE_CALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        # Under a burst Slack is asked once the acks have caught up, or when the language
        # is wanted, whichever is sooner.
        self._acks_first = acks_first
        self._held: dict[str, asyncio.Future[None]] = {}
        # At most this many asked at once (the connections they go on): the others wait
        # here holding little, not each with its request built, in the connections' queue;
        # within *ask_within* s, that wait included, as in the connections' queue.
        if max_asking is not None and max_asking < 1:
            raise ValueError(f"max_asking must be at least 1, not {max_asking}")
        self.max_asking = max_asking
        self._asking_slots = asyncio.Semaphore(max_asking) if max_asking else None
        self._ask_within = ask_within
        self._store = store  # replicas share what Slack said (not its failures)
        self.wait = LOCALE_WAIT_SECONDS  # how long a card waits for a locale Slack has not given
        self._lookup = lookup
        self._clock = clock
        self._known: OrderedDict[str, tuple[Language | None, float]] = OrderedDict()
        self._asking: dict[str, asyncio.Future[Language | None]] = {}
        self._reported: set[str] = set()
        for language in LANGUAGES:  # read now, not in the middle of the first burst
            translator(language)

    @property
    def channel(self) -> Translator:
        """The language of anything posted for a whole channel."""
        return translator(self.default)

    def reader(self, client: AsyncWebClient, user_id: str | None) -> Reader:
        """*user_id*'s Reader; asks Slack in the background unless their language is known."""
        if not user_id or self._lookup is None:
            return Reader(self.default, None)
        cached = self._cached(user_id)
        if cached is not None:
            return Reader(self.default, _done(cached[0]))
        asking = self._asking.get(user_id)
        if asking is None or asking.cancelled():  # cancelled before it began: ask afresh
            held = self._acks_first.hold() if self._acks_first is not None else None
            self._held.pop(user_id, None)
            if held is not None:
                self._held[user_id] = held
            asking = asyncio.ensure_future(self._ask(client, user_id, held))
            self._asking[user_id] = asking
        return Reader(self.default, asking, wait=self.wait, held=self._held.get(user_id))

    def known(self, user_id: str | None) -> Translator:
        """*user_id*'s language if cached, else the default: for answers that cannot wait."""
        cached = self._cached(user_id) if user_id else None
        return translator((cached[0] if cached else None) or self.default)

    def _cached(self, user_id: str) -> tuple[Language | None, float] | None:
        entry = self._known.get(user_id)
        if entry is None or entry[1] <= self._clock():
            return None
        self._known.move_to_end(user_id)
        return entry

    async def _ask(
        self, client: AsyncWebClient, user_id: str, held: asyncio.Future[None] | None
    ) -> Language | None:
        assert self._lookup is not None  # noqa: S101  # reader() asks only with a lookup
        language: Language | None = None
        try:
            if held is not None:
                try:
                    await held
                finally:
                    if self._held.get(user_id) is held:
                        del self._held[user_id]
            language = await self._shared(user_id)  # Redis: I/O too, so after the hold
            if language is None:
                language = language_of(await self._ask_slack(client, user_id))
                await self._share(user_id, language)
        except SlackApiError as exc:
            self._report(error_code(exc))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self._report(type(exc).__name__)
        except Exception as exc:  # noqa: BLE001  # a language is never worth a failed lookup
            self._report(f"unexpected {type(exc).__name__}")
        finally:
            del self._asking[user_id]
        ttl = LOCALE_TTL_SECONDS if language else FAILURE_TTL_SECONDS
        self._known[user_id] = (language, self._clock() + ttl)
        while len(self._known) > MAX_READERS:
            self._known.popitem(last=False)
        return language

    async def _ask_slack(self, client: AsyncWebClient, user_id: str) -> str | None:
        """The user's locale from Slack, when one of the asking slots is free."""
        assert self._lookup is not None  # noqa: S101  # reader() asks only with a lookup
        if self._asking_slots is None:
            return await self._lookup(client, user_id)
        async with asyncio.timeout(self._ask_within), self._asking_slots:
            return await self._lookup(client, user_id)

    async def _shared(self, user_id: str) -> Language | None:
        """What another replica learnt of this user's language, if anything."""
        if self._store is None:
            return None
        key = self._store.key("language", user_id)
        said = await self._store.run("reading a user's language", lambda redis: redis.get(key))
        return language_of(said) if said in LANGUAGES else None

    async def _share(self, user_id: str, language: Language | None) -> None:
        if self._store is None or language is None:
            return
        key, seconds = self._store.key("language", user_id), int(LOCALE_TTL_SECONDS)
        await self._store.run(
            "publishing a user's language", lambda r: r.set(key, language, ex=seconds)
        )

    def _report(self, what: str) -> None:
        """Each kind of failure once at WARNING (missing_scope: every user would log it)."""
        if what in self._reported:
            log.debug("cannot read a user's locale: %s", what)
            return
        self._reported.add(what)
        scope = what == "missing_scope"
        hint = " (add the users:read scope and reinstall the app)" if scope else ""
        log.warning(
            "cannot read a user's Slack locale: %s%s; answering in %s", what, hint, self.default
        )


def _done(language: Language | None) -> asyncio.Future[Language | None]:
    future: asyncio.Future[Language | None] = asyncio.get_running_loop().create_future()
    future.set_result(language)
    return future
