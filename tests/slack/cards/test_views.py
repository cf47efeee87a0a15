"""The lookup form (a modal): its fields, pre-filled when known, a note, and reading a
submission whatever shape it arrives in."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.i18n import ENGLISH, Language, T
from bot.i18n.catalogue import translator
from bot.slack.cards.views import (
    FORM_CALLBACK,
    INPUT_ACTION,
    MID_BLOCK,
    QR_BLOCK,
    form_modal,
    submitted_values,
)
from tests.slack.payloads import view_submission


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_the_empty_form_has_the_two_fields_and_nothing_filled_in() -> None:
    view = form_modal(ENGLISH)
    assert view["callback_id"] == FORM_CALLBACK
    fields = inputs(view)
    assert list(fields) == [MID_BLOCK, QR_BLOCK]
    assert all(f["action_id"] == INPUT_ACTION and "initial_value" not in f for f in fields.values())
    assert fields[QR_BLOCK]["multiline"] is True
    assert [b["type"] for b in view["blocks"]] == ["input", "input"]


def test_the_form_is_prefilled_and_its_note_escaped() -> None:
    view = form_modal(ENGLISH, mid="898340149000005", qr_code_id="3194", note=T("<!here> no URL"))
    fields = inputs(view)
    assert (fields[MID_BLOCK]["initial_value"], fields[QR_BLOCK]["initial_value"]) == (
        "898340149000005",
        "3194",
    )
    assert view["blocks"][0]["elements"][0]["text"] == "&lt;!here&gt; no URL"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_titles_fit_slacks_24_characters_and_slack_sdk_accepts_the_view(
    language: Language,
) -> None:
    view = form_modal(translator(language))
    for key in ("title", "submit", "close"):
        assert len(view[key]["text"]) <= 24
    View(**view).validate_json()


def test_a_submission_reads_both_fields() -> None:
    submitted = view_submission(FORM_CALLBACK, "898340149000005", "3194")["view"]
    assert submitted_values(submitted) == ("898340149000005", "3194")


@pytest.mark.parametrize(
    "view",
    [
        {},
        {"state": "x"},
        {"state": {"values": []}},
        {"state": {"values": {MID_BLOCK: {INPUT_ACTION: {"value": None}}}}},
        {"state": {"values": {MID_BLOCK: {INPUT_ACTION: {"value": 5}}, QR_BLOCK: "x"}}},
    ],
    ids=["empty", "state-not-a-dict", "values-a-list", "value-none", "malformed"],
)
def test_a_malformed_submission_reads_as_empty_fields(view: dict[str, Any]) -> None:
    assert submitted_values(view) == ("", "")
