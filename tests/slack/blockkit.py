"""Block Kit's limits, checked on a card's JSON: what the renderer tests assert for any input.

slack_sdk's models validate only some of them (and not the block count or
field lengths), so the tests carry their own check, with Slack's documented
limits written out here rather than borrowed from the renderer: a wrong
constant in bot/slack/cards/blocks.py must not make its own test pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.slack.cards.blocks import Card

# Slack's Block Kit reference: exceeding any of these rejects the whole message.
MAX_BLOCKS = 50
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
BUTTON_TEXT_CHARS = 75
BUTTON_URL_CHARS = 3000
BUTTON_VALUE_CHARS = 2000


def payload(card: Card) -> dict[str, Any]:
    """The JSON body a response_url gets for *card*."""
    return {"response_type": "ephemeral", "text": card.text, "blocks": card.block_dicts()}


def limit_problems(card: Card) -> list[str]:
    """Every Block Kit limit the card breaks, and any block slack_sdk would write otherwise
    (raising SlackObjectFormationError for what slack_sdk checks); empty when it is fine."""
    return payload_problems(payload(card))


def sdk_problems(block: dict[str, Any]) -> list[str]:
    """Whether slack_sdk reads *block* (validated) and writes it back as the same JSON: the
    same keys in the same order, the same values. The cards build their dicts themselves;
    this is the model objects' word on them."""
    parsed = Block.parse(block)  # slack_sdk's own model of it
    if parsed is None:
        return [f"a {block.get('type')} block slack_sdk cannot read"]
    as_sdk = parsed.to_dict()  # validates: raises SlackObjectFormationError
    if json.dumps(as_sdk, ensure_ascii=False) != json.dumps(block, ensure_ascii=False):
        return [f"a {block.get('type')} block slack_sdk writes otherwise"]
    return []


def payload_problems(data: dict[str, Any]) -> list[str]:
    """Every Block Kit limit a delivered payload (a response_url's JSON) breaks (raising
    SlackObjectFormationError for what slack_sdk checks)."""
    problems = [] if data.get("text") else ["no top-level text"]
    blocks = data.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks")
    for block in blocks:
        problems.extend(sdk_problems(block))
        problems.extend(_block_problems(block))
        if block["type"] == "section" and "accessory" in block:
            problems.extend(_block_problems({"type": "actions", "elements": [block["accessory"]]}))
    return problems


def _block_problems(data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = data["type"]
    if kind == "header" and len(data["text"]["text"]) > HEADER_CHARS:
        problems.append("header too long")
    if kind == "section":
        text = data.get("text", {}).get("text", "")
        fields: Sequence[dict[str, Any]] = data.get("fields", [])
        # A section needs text, fields, or both; text, when there, of 1-3000 characters.
        if ("text" in data or not fields) and not 1 <= len(text) <= SECTION_CHARS:
            problems.append(f"section text of {len(text)}")
        if len(fields) > MAX_FIELDS:
            problems.append(f"{len(fields)} fields")
        problems.extend(
            f"field of {len(f['text'])}" for f in fields if len(f["text"]) > FIELD_CHARS
        )
    if kind == "context":
        if len(data["elements"]) > MAX_CONTEXT_ELEMENTS:
            problems.append("too many context elements")
        problems.extend(
            "context element too long"
            for e in data["elements"]
            if len(e.get("text", "")) > SECTION_CHARS
        )
    if kind == "actions":
        for element in data["elements"]:
            if len(element["text"]["text"]) > BUTTON_TEXT_CHARS:
                problems.append("button text too long")
            if len(element.get("url", "")) > BUTTON_URL_CHARS:
                problems.append("button url too long")
            if len(element.get("value", "")) > BUTTON_VALUE_CHARS:
                problems.append("button value too long")
    return problems


MAX_HOME_BLOCKS = 100  # a home tab (a modal too); a message: MAX_BLOCKS


def home_view_problems(view: dict[str, Any]) -> list[str]:
    """Every Block Kit limit a published home view breaks (slack_sdk's own checks raise)."""
    problems = [] if view.get("type") == "home" else ["not a home view"]
    blocks = view.get("blocks", [])
    if len(blocks) > MAX_HOME_BLOCKS:
        problems.append(f"{len(blocks)} blocks")
    for block in blocks:
        problems.extend(sdk_problems(block))
        problems.extend(_block_problems(block))
        if block["type"] == "section" and "accessory" in block:
            problems.extend(_block_problems({"type": "actions", "elements": [block["accessory"]]}))
    return problems
