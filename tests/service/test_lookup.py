"""Lookups (bot/service/lookup.py): routed, guarded, shared with identical ones, recorded;
one at a time or a batch, on the lookup service over the in-process sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.gateway.ids import QrCodeRef
from bot.service.batch_limit import TooManyLookups
from bot.service.gateways import MissingGateway
from bot.service.lookup import Outcome, distinct_lookups, look_up, look_up_many
from tests.service.helpers import FOUND, MID, NO_BILL, WHO, no_group, sandbox_services
from tests.slack.helpers import lookups


async def test_a_lookup_is_routed_answered_and_counted_once() -> None:
    async with sandbox_services() as services:
        outcome = await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
    assert (outcome.kind, outcome.env, outcome.reused) == ("found", "sandbox", False)
    assert outcome.msg_id is not None
    assert outcome.msg_id.startswith("qri")
    assert lookups(services) == {("command", "found"): 1}


async def test_an_identical_lookup_right_after_reuses_the_answer_unless_fresh() -> None:
    async with sandbox_services() as services:
        first = await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
        again = await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
        fresh = await look_up(
            services, FOUND, who=WHO, action="refresh", read_group=no_group, fresh=True
        )
    assert again.reused
    assert again.msg_id == first.msg_id
    assert not fresh.reused
    assert fresh.msg_id != first.msg_id


async def test_a_refused_lookup_asks_no_gateway_and_is_recorded_as_refused() -> None:
    async with sandbox_services(qrinfo_allowed_users="U0SOMEONE") as services:
        outcome = await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
    assert (outcome.kind, outcome.answer, outcome.msg_id) == ("refused", None, None)
    assert outcome.refusal is not None
    assert lookups(services) == {("command", "refused"): 1}


async def test_a_batch_answers_each_distinct_lookup_in_order() -> None:
    async with sandbox_services() as services:
        outcomes = await look_up_many(
            services,
            [NO_BILL, FOUND, replace(FOUND, env="sandbox")],  # the last: the same lookup
            who=WHO,
            action="command",
            read_group=no_group,
        )
    assert [o.kind for o in outcomes] == ["NO_BILL", "found"]


async def test_a_batch_past_the_limit_looks_nothing_up() -> None:
    refs = [QrCodeRef(MID, f"BNCH{n:022}") for n in range(21)]
    async with sandbox_services() as services:
        with pytest.raises(TooManyLookups):
            await look_up_many(services, refs, who=WHO, action="command", read_group=no_group)
    assert lookups(services) == {}


async def test_the_lookups_past_the_user_limit_are_the_last_ones_and_refused() -> None:
    async with sandbox_services(qrinfo_user_rate=1) as services:
        outcomes = await look_up_many(
            services, [FOUND, NO_BILL], who=WHO, action="command", read_group=no_group
        )
    assert [o.kind for o in outcomes] == ["found", "refused"]


async def test_distinct_lookups_are_one_per_gateway_and_code() -> None:
    async with sandbox_services() as services:
        refs = [FOUND, replace(FOUND, env="prod"), replace(FOUND, mid="898340149000006"), NO_BILL]
        # prod has no gateway of its own: the sandbox stands in, so it is the same lookup.
        assert distinct_lookups(services, refs) == [FOUND, NO_BILL]


async def test_raw_replies_are_kept_only_when_there_are_operators() -> None:
    async with sandbox_services() as services:
        plain = await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
    assert plain.msg_id is not None
    assert services.raw.get(plain.msg_id) is None
    async with sandbox_services(qrinfo_operators="U0ONCALL1") as services:
        kept = await look_up(services, NO_BILL, who=WHO, action="command", read_group=no_group)
    assert kept.msg_id is not None
    raw = services.raw.get(kept.msg_id)
    assert raw is not None
    assert (raw.outcome, raw.status, raw.env) == ("NO_BILL", 200, "sandbox")
    assert raw.text is not None
    assert '"errCode": "NO_BILL"' in raw.text


def test_an_outcome_for_a_missing_gateway_is_unconfigured_and_names_its_environment() -> None:
    missing = MissingGateway("prod", ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY"))
    outcome = Outcome(FOUND, missing=missing)
    assert (outcome.kind, outcome.env, outcome.msg_id) == ("unconfigured", "prod", None)


def test_an_outcome_never_routed_has_no_environment() -> None:
    with pytest.raises(ValueError, match="never routed"):
        _ = Outcome(FOUND).env
