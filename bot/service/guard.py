"""Who may look up, and how often: the checks every lookup passes before the gateway is asked.

Access: allowed teams, enterprises, channels, users and user groups (each
empty means no restriction). Rate: a per-user and a per-workspace limit,
each a number of lookups a minute, enforced with GCRA (a token bucket kept as
one timestamp per key), so a refusal can say exactly when to try again.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.fleet_state import Lost
from bot.store.limits import Limit, SharedLimits
from bot.store.redis import FleetStore

if TYPE_CHECKING:  # Redis is imported only when QRINFO_REDIS_URL is set (FleetStore)
    from redis.asyncio import Redis

WINDOW_SECONDS = 60.0
RETRY_UNREADABLE_SECONDS = 30.0  # a user group Slack would not list is asked again after this

# Who is in a user group, from wherever members are listed; None when they cannot be read.
GroupMembers = Callable[[str], Awaitable[frozenset[str] | None]]


@dataclass(frozen=True, slots=True)
class Requester:
    """Who is asking, and where, as the (verified) request says."""

    team_id: str | None
    enterprise_id: str | None
    user_id: str | None
    channel_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The guard's settings: allow-lists (empty: no restriction) and limits a minute.

    No defaults: the values (and their defaults) are Settings', passed by the wiring.
    """

    teams: frozenset[str]
    enterprises: frozenset[str]
    channels: frozenset[str]
    users: frozenset[str]
    usergroups: frozenset[str]
    operators: frozenset[str]  # user and user group ids who may see status and raw replies
    user_rate: int
    workspace_rate: int
    usergroup_cache_seconds: float


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a lookup was not made: not allowed, or over the user's or the workspace's limit."""

    kind: Literal["access", "user-rate", "workspace-rate"]
    limit: int = 0  # lookups a minute, for the rate kinds
    wait: float = 0.0  # seconds until a lookup would pass, for the rate kinds


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
    """Members of user groups, cached for *ttl* seconds (in Redis too, with a *store*: one
    read per group for the fleet); one read per group at a time."""

    def __init__(
        self,
        ttl: float,
        *,
        store: FleetStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._store = store
        self._clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._unreadable: dict[str, float] = {}  # group -> when to ask Slack again
        self._locks: dict[str, asyncio.Lock] = {}

    async def members(self, group: str, read: GroupMembers) -> frozenset[str]:
        """Who is in *group*; nobody when *read* cannot say (fail closed). After Slack would
        not say, it is asked again only after RETRY_UNREADABLE_SECONDS: not once a lookup."""
        known = self._known(group)
        if known is not None:
            return known
        async with self._locks.setdefault(group, asyncio.Lock()):
            known = self._known(group)
            if known is not None:
                return known
            shared = await self._shared(group)
            if shared is not None:
                users, ttl = shared  # another replica's read, for what is left of its time
            else:
                read_now = await read(group)
                if read_now is None:
                    self._unreadable[group] = self._clock() + RETRY_UNREADABLE_SECONDS
                    return frozenset()
                users, ttl = read_now, self.ttl
                await self._share(group, users)
            self._unreadable.pop(group, None)
            self._cache[group] = (self._clock() + ttl, users)
            return users

    def _known(self, group: str) -> frozenset[str] | None:
        now = self._clock()
        cached = self._cache.get(group)
        if cached is not None and now < cached[0]:
            return cached[1]
        if now < self._unreadable.get(group, 0.0):
            return frozenset()  # Slack would not say a moment ago: nobody, for now
        return None

    async def _shared(self, group: str) -> tuple[frozenset[str], float] | None:
        """What another replica read of *group* (in Redis), and for how long it holds."""
        if self._store is None or self.ttl <= 0:
            return None
        key = self._store.key("usergroup", group)

        async def call(redis: Redis) -> tuple[frozenset[str], float] | None:
            async with redis.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                raw, left = await pipe.execute()
            if raw is None or int(left) <= 0:
                return None
            members = json.loads(raw)
            if not isinstance(members, list):
                raise TypeError("a user group's members are a list")
            return frozenset(str(m) for m in members), int(left) / 1000

        found = await self._store.run("reading a user group", call)
        return None if isinstance(found, Lost) else found

    async def _share(self, group: str, users: frozenset[str]) -> None:
        if self._store is None or self.ttl <= 0:
            return
        key, body = self._store.key("usergroup", group), json.dumps(sorted(users))
        px = max(1, int(self.ttl * 1000))
        await self._store.run("publishing a user group", lambda redis: redis.set(key, body, px=px))


class Guard:
    """Access and rate checks for one app; the limits in Redis when *shared* (every replica's
    lookups count), in this process when not or while Redis is lost."""

    def __init__(
        self,
        policy: Policy,
        *,
        store: FleetStore | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.per_user = RateLimiter(policy.user_rate, clock=clock)
        self.per_team = RateLimiter(policy.workspace_rate, clock=clock)
        self.groups = UserGroups(policy.usergroup_cache_seconds, store=store, clock=clock)
        self._shared = SharedLimits(store) if store is not None else None

    async def check(self, who: Requester, read_group: GroupMembers) -> Refusal | None:
        """None when the lookup may go ahead (and then it counts against the limits)."""
        if not await self.allowed(who, read_group):
            return Refusal("access")
        user_key, team_key = f"{who.team_id}:{who.user_id}", str(who.team_id)
        if self._shared is not None:
            taken = await self._shared.take(
                Limit(f"user:{user_key}", self.policy.user_rate),
                Limit(f"team:{team_key}", self.policy.workspace_rate),
            )
            if not isinstance(taken, Lost):
                return _refusal(taken, self.policy)
        return self._check_here(user_key, team_key)

    def _check_here(self, user_key: str, team_key: str) -> Refusal | None:
        if user_wait := self.per_user.wait_for(user_key):
            return Refusal("user-rate", self.policy.user_rate, user_wait)
        if team_wait := self.per_team.wait_for(team_key):
            return Refusal("workspace-rate", self.policy.workspace_rate, team_wait)
        self.per_user.take(user_key)
        self.per_team.take(team_key)
        return None

    async def is_operator(self, who: Requester, read_group: GroupMembers) -> bool:
        """Listed in the operators, by user id or through a user group (empty: nobody)."""
        operators = self.policy.operators
        if who.user_id is None or not operators:
            return False
        if who.user_id in operators:
            return True
        for group in sorted(g for g in operators if g.startswith("S")):
            if who.user_id in await self.groups.members(group, read_group):
                return True
        return False

    async def allowed(self, who: Requester, read_group: GroupMembers) -> bool:
        policy = self.policy
        if policy.teams and who.team_id not in policy.teams:
            return False
        if policy.enterprises and who.enterprise_id not in policy.enterprises:
            return False
        if policy.channels and who.channel_id not in policy.channels:
            return False
        if not policy.users and not policy.usergroups:
            return True
        if who.user_id in policy.users:
            return True
        for group in sorted(policy.usergroups):
            if who.user_id in await self.groups.members(group, read_group):
                return True
        return False


def _refusal(taken: tuple[int, float], policy: Policy) -> Refusal | None:
    """The shared limits' answer as a refusal: 1 the user's limit, 2 the workspace's."""
    refused, wait = taken
    if refused == 1:
        return Refusal("user-rate", policy.user_rate, wait)
    if refused == 2:
        return Refusal("workspace-rate", policy.workspace_rate, wait)
    return None
