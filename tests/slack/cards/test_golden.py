"""Every kind of card draws exactly the JSON it drew when slack_sdk's model objects drew it.

tests/slack/cards/golden.py renders a fixed set of cards (found codes, payment statuses,
gateway errors, refusals, batches, notices, help, status and raw replies, the App Home,
the form, unfurls, a workflow step's outputs; hostile gateway text; English and Chinese)
and compares them with golden_cards.json, byte for byte: same keys, same key order, same
values. That file was written before the cards were drawn as plain dicts; regenerate it
(``uv run python -m tests.slack.cards.golden``) only for a change meant to show.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from tests.slack.blockkit import MAX_HOME_BLOCKS, payload_problems
from tests.slack.cards.golden import GOLDEN, rendered

DRAWN = rendered()
KEPT: dict[str, str] = json.loads(GOLDEN.read_text("utf-8"))


def test_the_golden_set_is_the_same_set_of_cases() -> None:
    """No case was added or lost without regenerating the file."""
    assert sorted(DRAWN) == sorted(KEPT)
    assert len(KEPT) >= 150


@pytest.mark.parametrize("name", sorted(KEPT))
def test_a_card_draws_the_same_bytes_as_before(name: str) -> None:
    """Same keys, in the same order, with the same values."""
    assert DRAWN[name] == KEPT[name]


def blocks_of(drawn: Any) -> list[dict[str, Any]]:
    if isinstance(drawn, dict) and isinstance(drawn.get("blocks"), list):
        return list(drawn["blocks"])
    if isinstance(drawn, dict) and all(isinstance(v, dict) for v in drawn.values()):
        return [block for unfurl in drawn.values() for block in unfurl.get("blocks", [])]
    return []


@pytest.mark.parametrize("name", sorted(KEPT))
def test_every_golden_block_is_one_slack_sdk_reads_and_validates_as_is(name: str) -> None:
    """Block.parse(d).to_dict() == d (to_dict validates), and the same JSON text."""
    drawn = json.loads(DRAWN[name])
    for block in blocks_of(drawn):
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert json.dumps(parsed.to_dict(), ensure_ascii=False) == json.dumps(
            block, ensure_ascii=False
        )
    if "text" in drawn and "blocks" in drawn and "type" not in drawn:  # a message's card
        assert payload_problems(drawn) == [], name
    assert len(blocks_of(drawn)) <= MAX_HOME_BLOCKS
