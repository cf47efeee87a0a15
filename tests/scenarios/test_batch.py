"""Many codes at once: one compact card, a line and a Details button per code."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.gateway.ids import QrCodeRef
from bot.kit.simulate import DEMO_USER, interaction_body, signed_request
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.service.batch_limit import MAX_BATCH, TooManyLookups
from bot.service.guard import Requester
from bot.service.lookup import look_up_many
from bot.slack.cards.batch import DETAILS_ACTION
from bot.slack.cards.views import FORM_CALLBACK
from tests.slack.blockkit import payload_problems
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import (
    SIGNING_SECRET,
    WAIT,
    AppFactory,
    all_text,
    ask,
    click,
    detail_buttons,
    line_of,
    lookups,
)
from tests.slack.payloads import view_submission

MID = "898340149000005"  # the benchmark family's merchant
FOUND = [f"BNCH{n:022}" for n in range(1, 18)]  # 17 codes the sandbox finds
MISSING = ["31940000000000000000000001", "31940000000000000000000002"]  # NO_BILL
FAILING = "E5030000000000000000000001"  # the sandbox answers 502, every time


async def test_twenty_codes_give_one_card_with_a_line_each_and_one_call_per_distinct_code(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """17 found (one typed twice), 2 not found, 1 failing: one card within Block Kit's
    limits, lines in the order typed, a summary, and one gateway call per distinct code."""
    app, services = make_app.build(chinaums_timeout=0.5)
    codes = [*FOUND[:10], FOUND[0], *MISSING, FAILING, *FOUND[10:]]
    card = await ask(app, sink, " ".join([MID, *codes]))
    await make_app.settled()

    distinct = list(dict.fromkeys(codes))
    assert len(distinct) == MAX_BATCH
    assert payload_problems(card) == []
    buttons = detail_buttons(card)
    assert [json.loads(b["value"])["qr"] for b in buttons] == distinct
    said = all_text(card)
    assert "*20 QR codes* of merchant `898340149000005`" in said
    assert ":white_check_mark: 17 found" in said
    assert ":grey_question: 2 not found" in said
    assert ":warning: 1 failed" in said
    assert "1 repeated code was looked up once" in said
    assert "¥1.00" in line_of(card, FOUND[0])
    assert "压测商户" in line_of(card, FOUND[0])
    assert "`NO_BILL`" in line_of(card, MISSING[0])
    assert "no answer from the gateway" in line_of(card, FAILING)
    assert card["response_type"] == "ephemeral"
    # One call per distinct code (the failing one retries inside its one call).
    assert {code: sandbox.asked[code] for code in [*FOUND, *MISSING]} == dict.fromkeys(
        [*FOUND, *MISSING], 1
    )
    assert lookups(services) == {
        ("command", "found"): 17,
        ("command", "rejected"): 2,
        ("command", "unavailable"): 1,
    }


async def test_a_batchs_lookups_run_at_once(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """A held gateway holds every code of the batch at once: none waits for another."""
    app = make_app()
    sandbox.hold()
    asked = asyncio.create_task(ask(app, sink, " ".join([MID, *FOUND[:6]])))
    async with asyncio.timeout(WAIT):
        while sandbox.in_flight < 6:  # noqa: ASYNC110  # the sandbox's state: no event
            await asyncio.sleep(0.005)
    sandbox.release()
    card = await asked
    assert ":white_check_mark: 6 found" in all_text(card)


async def test_codes_past_the_rate_limit_are_not_looked_up_and_the_card_says_so(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """Each code counts against the limit in order: the last ones are left out, and said so."""
    app = make_app(qrinfo_user_rate=5)
    card = await ask(app, sink, " ".join([MID, *FOUND[:8]]))
    said = all_text(card)
    assert ":white_check_mark: 5 found" in said
    assert ":stopwatch: 3 not looked up" in said
    assert "3 codes were not looked up: the rate limit was reached" in said
    for code in FOUND[5:8]:
        assert "over the rate limit" in line_of(card, code)
        assert sandbox.asked[code] == 0
    assert sum(sandbox.asked.values()) == 5


async def test_details_posts_that_codes_full_card_beside_the_batch(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """Details answers beside the batch card (which stays) with that code's full card."""
    app = make_app()
    card = await ask(app, sink, " ".join([MID, *FOUND[:3]]))
    value = detail_buttons(card)[1]["value"]
    full = await click(app, sink, DETAILS_ACTION, value)
    assert full["replace_original"] is False  # the batch card stays
    assert full["response_type"] == "ephemeral"
    assert "压测商户" in full["text"]
    assert FOUND[1] in all_text(full)  # its Refresh carries the code
    assert "refresh_card" in all_text(full)


async def test_one_code_typed_twice_is_the_single_card(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    """A repeat dropped leaves one code: the usual card, not a batch of one."""
    card = await ask(make_app(), sink, f"{MID} {FOUND[0]} {FOUND[0]}")
    assert detail_buttons(card) == []
    assert "refresh_card" in all_text(card)


async def test_no_access_gives_the_refusal_alone(make_app: AppFactory, sink: ResponseSink) -> None:
    """Someone not allowed gets the refusal once, not twenty refused lines."""
    card = await ask(make_app(qrinfo_allowed_users="U0SOMEONE1"), sink, " ".join([MID, *FOUND[:3]]))
    assert detail_buttons(card) == []
    assert "nothing was sent to the gateway" in all_text(card)


async def test_twenty_one_codes_are_refused_before_any_lookup(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    """More than 20 distinct codes: a message, and nothing sent to the gateway."""
    card = await ask(
        make_app(), sink, " ".join([MID, *FOUND, *MISSING, FAILING, "31940000000000000000000009"])
    )
    assert "That is 21 QR codes; /qrinfo looks up at most 20 at once" in all_text(card)
    assert sandbox.query_requests == 0


async def test_the_batch_card_speaks_chinese(
    make_app: AppFactory, sink: ResponseSink, slack_api: FakeSlackApi
) -> None:
    """The batch card is in the reader's language."""
    slack_api.locales[DEMO_USER] = "zh-CN"
    card = await ask(make_app(), sink, " ".join([MID, *FOUND[:2], MISSING[0]]))
    said = all_text(card)
    assert "找到 2 个" in said
    assert "详情" in said


# --- within Block Kit's limits, whatever the replies ------------------------------------------


async def interact(app: AsyncApp, payload: dict[str, Any]) -> BoltResponse:
    return await app.async_dispatch(signed_request(interaction_body(payload), SIGNING_SECRET))


async def test_the_forms_list_answers_with_a_batch_card_in_the_dm(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: SandboxGateway
) -> None:
    """Several codes in the form's QR field: one batch card, by DM, each code asked once."""
    codes = "\n".join([FOUND[0], FOUND[1], MISSING[0], FOUND[0]])
    response = await interact(make_app(), view_submission(FORM_CALLBACK, MID, codes))
    assert (response.status, response.body) == (200, "")
    [post] = await slack_api.wait_for("chat.postMessage")
    assert post["channel"] == DEMO_USER
    assert "3 QR codes: 2 found  ·  1 not found" in post["text"]
    assert {code: sandbox.asked[code] for code in (FOUND[0], FOUND[1], MISSING[0])} == {
        FOUND[0]: 1,
        FOUND[1]: 1,
        MISSING[0]: 1,
    }


@pytest.mark.parametrize(
    ("codes", "says"),
    [
        (f"{MID}\n{FOUND[0]}", f"`{MID}` looks like a merchant number"),
        ("\n".join(f"{n:026}" for n in range(21)), "That is 21 QR codes"),
    ],
)
async def test_a_form_list_that_cannot_be_looked_up_keeps_the_form_open(
    make_app: AppFactory, slack_api: FakeSlackApi, sandbox: SandboxGateway, codes: str, says: str
) -> None:
    """A merchant number among the codes, or too many: an inline error, nothing asked."""
    response = await interact(make_app(), view_submission(FORM_CALLBACK, MID, codes))
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert says in body["errors"]["qrCodeId"]
    await make_app.settled()
    assert sandbox.query_requests == 0
    assert slack_api.of("chat.postMessage") == []


async def test_the_service_drops_repeats_and_refuses_more_than_twenty_itself(
    make_app: AppFactory, sandbox: SandboxGateway
) -> None:
    """look_up_many keeps its own bounds, whoever calls it: a repeat once, 21 refused."""
    _, services = make_app.build()
    who = Requester("T0QRINFO01", None, DEMO_USER, "C0QRINFO01")

    async def nobody(group: str) -> frozenset[str] | None:
        return frozenset()

    ref = QrCodeRef(MID, FOUND[0])
    outcomes = await look_up_many(
        services, [ref, replace(ref, env="sandbox")], who=who, action="command", read_group=nobody
    )
    assert [o.kind for o in outcomes] == ["found"]
    assert sandbox.asked[FOUND[0]] == 1
    many = [QrCodeRef(MID, f"BNCH{n:022}") for n in range(21)]
    with pytest.raises(TooManyLookups):
        await look_up_many(services, many, who=who, action="command", read_group=nobody)
    assert sum(sandbox.asked.values()) == 1
