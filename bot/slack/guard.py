"""Who may look up, and how often: the checks every lookup passes before the gateway is asked.

Access: allowed teams, enterprises, channels, users and user groups (each
empty means no restriction). Rate: a per-user and a per-workspace limit,
each a number of lookups a minute, enforced with GCRA (a token bucket kept as
one timestamp per key), so a refusal can say exactly when to try again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.slack.mrkdwn import escape
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,30}")


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking, and where: from the request's context, as Slack sent it."""

    team_id: str | None
    enterprise_id: str | None
    user_id: str | None
    channel_id: str | None

    @classmethod
    def from_context(cls, context: AsyncBoltContext) -> Requester:
        return cls(context.team_id, context.enterprise_id, context.user_id, context.channel_id)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a lookup was not made; ``text`` is safe mrkdwn for the user."""

    kind: Literal["access", "rate"]
    text: str
    retry_after: float | None = None


class RateLimiter:
    """At most *per_minute* takes per key in any minute (bursts up to that many at once)."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = WINDOW_SECONDS / per_minute
        self.tolerance = WINDOW_SECONDS - self.interval
        self._clock = clock
        self._tat: dict[str, float] = {}  # theoretical arrival time, per key

    def wait_for(self, key: str) -> float:
        """Seconds until *key* may take again (0 when it may now). Takes nothing."""
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        return max(0.0, tat - now - self.tolerance)

    def take(self, key: str) -> None:
        now = self._clock()
        self._tat[key] = max(self._tat.get(key, now), now) + self.interval
        if len(self._tat) > 10_000:  # forget keys whose budget is full again
            self._tat = {k: t for k, t in self._tat.items() if t > now}


class UserGroups:
    """Members of Slack user groups (``usergroups.users.list``), cached for a short time."""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def members(self, client: AsyncWebClient, group: str) -> frozenset[str]:
        cached = self._cache.get(group)
        if cached is not None and self._clock() < cached[0]:
            return cached[1]
        async with self._locks.setdefault(group, asyncio.Lock()):  # one fetch per group at a time
            cached = self._cache.get(group)
            if cached is not None and self._clock() < cached[0]:
                return cached[1]
            try:
                response = await client.usergroups_users_list(usergroup=group)
            except SlackApiError as exc:
                # Fail closed, and do not cache the failure: the next lookup asks again.
                log.error("cannot read user group %s: %s", group, error_code(exc))
                return frozenset()
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.error("cannot read user group %s: %r", group, exc)
                return frozenset()
            users = frozenset(str(u) for u in response.get("users") or [])
            self._cache[group] = (self._clock() + self.ttl, users)
            return users


class Guard:
    """Access and rate checks for one app, from the settings."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.teams = settings.qrinfo_allowed_teams
        self.enterprises = settings.qrinfo_allowed_enterprises
        self.channels = settings.qrinfo_allowed_channels
        self.users = settings.qrinfo_allowed_users
        self.usergroups = settings.qrinfo_allowed_usergroups
        self.hint = settings.qrinfo_access_hint
        self.per_user = RateLimiter(settings.qrinfo_user_rate, clock=clock)
        self.per_team = RateLimiter(settings.qrinfo_workspace_rate, clock=clock)
        self.user_rate = settings.qrinfo_user_rate
        self.workspace_rate = settings.qrinfo_workspace_rate
        self.groups = UserGroups(settings.qrinfo_usergroup_cache_seconds, clock=clock)

    async def check(self, who: Requester, client: AsyncWebClient) -> Refusal | None:
        """None when the lookup may go ahead (and then it counts against the limits)."""
        if not await self.allowed(who, client):
            return Refusal("access", self._not_allowed_text())
        user_key = f"{who.team_id}:{who.user_id}"
        team_key = str(who.team_id)
        user_wait = self.per_user.wait_for(user_key)
        if user_wait:
            return Refusal(
                "rate",
                f":stopwatch: You have made {self.user_rate} lookups in the last minute. "
                f"Try again in {math.ceil(user_wait)} s.",
                user_wait,
            )
        team_wait = self.per_team.wait_for(team_key)
        if team_wait:
            return Refusal(
                "rate",
                f":stopwatch: This workspace has made {self.workspace_rate} lookups in the last "
                f"minute, the most allowed. Try again in {math.ceil(team_wait)} s.",
                team_wait,
            )
        self.per_user.take(user_key)
        self.per_team.take(team_key)
        return None

    async def allowed(self, who: Requester, client: AsyncWebClient) -> bool:
        if self.teams and who.team_id not in self.teams:
            return False
        if self.enterprises and who.enterprise_id not in self.enterprises:
            return False
        if self.channels and who.channel_id not in self.channels:
            return False
        if not self.users and not self.usergroups:
            return True
        if who.user_id in self.users:
            return True
        for group in sorted(self.usergroups):
            if who.user_id in await self.groups.members(client, group):
                return True
        return False

    def _not_allowed_text(self) -> str:
        if not self.hint:
            where = "ask the bot's operator"
        elif _CHANNEL_ID.fullmatch(self.hint):
            where = f"ask in <#{self.hint}>"
        else:
            where = f"ask in {escape(self.hint)}"
        return f":lock: You are not allowed to look up QR codes here; {where}."
