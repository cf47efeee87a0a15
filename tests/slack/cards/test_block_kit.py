"""Block Kit's JSON built directly: each helper gives what slack_sdk's model object for the
same thing gives from to_dict(), the same keys in the same order (the cards' old way, kept
here only to hold the new one to it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.cards.block_kit import (
    actions,
    button,
    context,
    divider,
    header,
    mrkdwn,
    plain,
    section,
)

HOSTILE = "<!channel> & *b* 😀 中文"
MD = MarkdownTextObject(text="m", verbatim=False)


def _button(**extra: Any) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text="Go", emoji=True), action_id="go", **extra)


PAIRS: dict[str, tuple[dict[str, Any], JsonObject]] = {
    "mrkdwn": (mrkdwn(HOSTILE), MarkdownTextObject(text=HOSTILE, verbatim=False)),
    "mrkdwn-verbatim": (mrkdwn("x", verbatim=True), MarkdownTextObject(text="x", verbatim=True)),
    "plain": (plain(HOSTILE), PlainTextObject(text=HOSTILE, emoji=True)),
    "plain-no-emoji": (plain("x", emoji=False), PlainTextObject(text="x", emoji=False)),
    "header": (header(HOSTILE), HeaderBlock(text=PlainTextObject(text=HOSTILE, emoji=False))),
    "section": (section(mrkdwn("m")), SectionBlock(text=MD)),
    "section-fields": (section(fields=[mrkdwn("m")]), SectionBlock(fields=[MD])),
    "section-no-fields": (section(mrkdwn("m"), fields=[]), SectionBlock(text=MD, fields=None)),
    "section-all": (
        section(mrkdwn("m"), fields=[mrkdwn("m")] * 2, accessory=button("Go", "go", value="v")),
        SectionBlock(text=MD, fields=[MD, MD], accessory=_button(value="v")),
    ),
    "context": (context([mrkdwn("m")] * 3), ContextBlock(elements=[MD] * 3)),
    "actions": (
        actions("card_actions", [button("Go", "go"), button("Go", "go", value="1")]),
        ActionsBlock(block_id="card_actions", elements=[_button(), _button(value="1")]),
    ),
    "divider": (divider(), DividerBlock()),
    "button": (button("Go", "go"), _button()),
    "button-all": (
        button("Go", "go", url="https://x.example/?a=1&b=<2>", value="v", style="primary"),
        _button(url="https://x.example/?a=1&b=<2>", value="v", style="primary"),
    ),
}


@pytest.mark.parametrize("name", PAIRS)
def test_a_helper_gives_slack_sdks_own_json_for_the_same_thing(name: str) -> None:
    """Byte for byte: the same keys, in to_dict()'s sorted order, empty ones left out."""
    built, model = PAIRS[name]
    assert json.dumps(built, ensure_ascii=False) == json.dumps(model.to_dict(), ensure_ascii=False)


def test_an_empty_value_or_style_is_left_out_of_a_button() -> None:
    assert button("Go", "go", value="", style="", url="") == button("Go", "go")
