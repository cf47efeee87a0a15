"""Pure: Block Kit's JSON, built directly as the dicts Slack receives.

One small function per block, element and text object the cards use, each returning what
slack_sdk's ``to_dict()`` gives for the same model object: its keys in sorted order, an
empty or missing one left out. No model objects are made (drawing a card under a burst
made them, then read them back: the largest part of a card's CPU). What is built here is
unchecked: the renderers keep to Block Kit's limits themselves, and the tests parse every
kind of card back through slack_sdk (validated) and compare its JSON byte for byte.

The dicts are typed ``dict[str, Any]`` (``Json``), not TypedDicts: they go on to
``json.dumps`` and slack_sdk's clients, which take ``dict``, and a TypedDict is no ``dict``
to mypy; their shape is what the tests pin.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]  # a block, an element or a text object, as Slack reads it


def mrkdwn(text: str, *, verbatim: bool = False) -> Json:
    """A mrkdwn text object; *verbatim*: Slack links no URL or name on its own."""
    return {"text": text, "type": "mrkdwn", "verbatim": verbatim}


def plain(text: str, *, emoji: bool = True) -> Json:
    """A plain_text object; *emoji*: Slack draws emoji codes as emoji."""
    return {"emoji": emoji, "text": text, "type": "plain_text"}


def header(text: str) -> Json:
    """A header block: *text* as written, no emoji codes drawn."""
    return {"text": plain(text, emoji=False), "type": "header"}


def section(text: Json | None = None, *, fields: list[Json] | None = None,
            accessory: Json | None = None) -> Json:  # fmt: skip
    """A section block: a text object, fields beside it, an element at its side."""
    block: Json = {}
    if accessory:
        block["accessory"] = accessory
    if fields:
        block["fields"] = fields
    if text is not None:
        block["text"] = text
    block["type"] = "section"
    return block


def context(elements: list[Json]) -> Json:
    """A context block: small text objects in a row."""
    return {"elements": elements, "type": "context"}


def actions(block_id: str, elements: list[Json]) -> Json:
    """An actions block: buttons in a row, under *block_id*."""
    return {"block_id": block_id, "elements": elements, "type": "actions"}


def divider() -> Json:
    """A line between blocks (it has no other field)."""
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    *,
    url: str | None = None,
    value: str | None = None,
    style: str | None = None,
) -> Json:
    """A button; *text* is already in the reader's language (drawn with emoji)."""
    element: Json = {"action_id": action_id}
    if style:
        element["style"] = style
    element["text"] = plain(text)
    element["type"] = "button"
    if url:
        element["url"] = url
    if value:
        element["value"] = value
    return element
