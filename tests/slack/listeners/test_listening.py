"""What listeners share: reading a user group's members for the access check."""

from __future__ import annotations

import asyncio

import pytest

from bot.slack.listeners import listening


async def test_a_user_group_slack_will_not_list_in_time_lets_nobody_in_through_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """usergroups.users.list that never answers: after GROUP_READ_SECONDS the group is read as
    unknown (access fails closed), so a lookup's budget, and a stop's drain, stay bounded."""

    class SilentSlack:
        async def usergroups_users_list(self, usergroup: str) -> dict[str, object]:
            await asyncio.Event().wait()  # never
            raise AssertionError("unreachable")

    monkeypatch.setattr(listening, "GROUP_READ_SECONDS", 0.05)
    read = listening.group_members_fetcher(SilentSlack())  # type: ignore[arg-type]  # a stand-in
    async with asyncio.timeout(5):  # a bound: without the read's own, this would hang
        assert await read("S0123ABCD") is None
