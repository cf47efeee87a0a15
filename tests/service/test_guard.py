"""The guard (bot/service/guard.py): allow-lists, user groups read and cached, operators, and
the per-user and per-workspace limits, on an injected clock (no Redis)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.service.guard import (
    RETRY_UNREADABLE_SECONDS,
    Guard,
    Policy,
    RateLimiter,
    Refusal,
    Requester,
    UserGroups,
)
from tests.service.helpers import WHO, no_group
from tests.slack.helpers import Clock


def policy(**changes: Any) -> Policy:
    values: dict[str, Any] = {
        "teams": frozenset(),
        "enterprises": frozenset(),
        "channels": frozenset(),
        "users": frozenset(),
        "usergroups": frozenset(),
        "operators": frozenset(),
        "user_rate": 30,
        "workspace_rate": 600,
        "usergroup_cache_seconds": 60.0,
    }
    return Policy(**(values | changes))


class Reader:
    """A user group reader that counts its reads; *members* None: it cannot say."""

    def __init__(self, members: frozenset[str] | None) -> None:
        self.members = members
        self.reads = 0

    async def __call__(self, group: str) -> frozenset[str] | None:
        self.reads += 1
        return self.members


def test_the_rate_limiter_refills_over_the_minute() -> None:
    """GCRA: the limit is spread over the minute; the wait shrinks as time passes."""
    clock = Clock()
    limiter = RateLimiter(6, clock=clock)
    for _ in range(6):
        assert limiter.wait_for("u") == 0
        limiter.take("u")
    assert limiter.wait_for("u") == pytest.approx(10.0)
    clock.now += 10
    assert limiter.wait_for("u") == 0


@pytest.mark.parametrize(
    ("rule", "allowed"),
    [
        ({"teams": frozenset({"T0OTHER01"})}, False),
        ({"teams": frozenset({WHO.team_id})}, True),
        ({"enterprises": frozenset({"E0GRID001"})}, False),
        ({"channels": frozenset({"C0OTHER1"})}, False),
        ({"channels": frozenset({WHO.channel_id})}, True),
        ({"users": frozenset({"U0OTHER1"})}, False),
        ({"users": frozenset({WHO.user_id})}, True),
    ],
    ids=[
        "team-out",
        "team-in",
        "enterprise-out",
        "channel-out",
        "channel-in",
        "user-out",
        "user-in",
    ],
)
async def test_each_allow_list_lets_in_only_its_members(
    rule: dict[str, Any], allowed: bool
) -> None:
    assert await Guard(policy(**rule)).allowed(WHO, no_group) is allowed


async def test_a_refused_requester_is_refused_for_access_and_counts_against_no_limit() -> None:
    guard = Guard(policy(users=frozenset({"U0OTHER1"}), user_rate=1), clock=Clock())
    assert await guard.check(WHO, no_group) == Refusal("access")
    assert guard.per_user.wait_for(f"{WHO.team_id}:{WHO.user_id}") == 0


async def test_a_member_of_an_allowed_user_group_is_let_in_and_a_non_member_is_not() -> None:
    guard = Guard(policy(usergroups=frozenset({"S0GROUP01"})), clock=Clock())
    assert await guard.allowed(WHO, Reader(frozenset({WHO.user_id or ""})))
    other = Requester(WHO.team_id, None, "U0OUTSIDER", WHO.channel_id)
    assert not await guard.allowed(other, Reader(frozenset({WHO.user_id or ""})))


async def test_the_user_limit_refuses_saying_the_limit_and_the_wait() -> None:
    clock = Clock()
    guard = Guard(policy(user_rate=2), clock=clock)
    assert await guard.check(WHO, no_group) is None
    assert await guard.check(WHO, no_group) is None
    assert await guard.check(WHO, no_group) == Refusal("user-rate", 2, 30.0)
    clock.now += 30
    assert await guard.check(WHO, no_group) is None


async def test_the_workspace_limit_refuses_across_users() -> None:
    guard = Guard(policy(workspace_rate=2), clock=Clock())
    for user in ("U0ONE", "U0TWO"):
        assert await guard.check(Requester("T1", None, user, "C1"), no_group) is None
    refused = await guard.check(Requester("T1", None, "U0THREE", "C1"), no_group)
    assert refused is not None
    assert (refused.kind, refused.limit) == ("workspace-rate", 2)


async def test_operators_are_listed_users_or_members_of_listed_groups_and_else_nobody() -> None:
    assert not await Guard(policy()).is_operator(WHO, no_group)
    assert await Guard(policy(operators=frozenset({WHO.user_id}))).is_operator(WHO, no_group)
    on_call = policy(operators=frozenset({"S0ONCALL1"}))
    assert await Guard(on_call).is_operator(WHO, Reader(frozenset({WHO.user_id or ""})))
    assert not await Guard(on_call).is_operator(WHO, Reader(frozenset({"U0SOMEONE"})))


async def test_user_group_members_are_read_once_within_the_cache_time() -> None:
    clock = Clock()
    groups, reader = UserGroups(60, clock=clock), Reader(frozenset({"U1"}))
    assert await groups.members("S1", reader) == {"U1"}
    clock.now += 59
    assert await groups.members("S1", reader) == {"U1"}
    assert reader.reads == 1
    clock.now += 1
    await groups.members("S1", reader)
    assert reader.reads == 2


async def test_a_group_that_cannot_be_read_is_nobody_and_asked_again_only_later() -> None:
    """Fail closed; and not a read of Slack per lookup while it will not say."""
    clock = Clock()
    groups, reader = UserGroups(60, clock=clock), Reader(None)
    assert await groups.members("S1", reader) == frozenset()
    clock.now += RETRY_UNREADABLE_SECONDS - 1
    assert await groups.members("S1", reader) == frozenset()
    assert reader.reads == 1
    clock.now += 1
    reader.members = frozenset({"U1"})
    assert await groups.members("S1", reader) == {"U1"}
    assert reader.reads == 2
