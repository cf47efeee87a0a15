"""``qrinfo demo``: one slash command through the real app, in-process, start to finish.

A signed Slack request goes to the real AsyncApp; the app acks, asks the
gateway (the in-process sandbox by default) and posts its card to a local
server standing in for Slack's response_url. The card is printed as terminal
text, or as the exact JSON the app sent.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import emoji
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from bot.i18n import ENGLISH, Translator, columns, pad
from bot.kit.simulate import DEMO_TEAM, signed_request, slash_command_body
from bot.kit.sink import ResponseSink

DEFAULT_TEXT = "898340149000005 31942002268195125132885377"  # the seed's example
DEMO_AUTHORIZATION = AuthorizeResult(
    enterprise_id=None,
    team_id=DEMO_TEAM,
    bot_user_id="U0QRINFOBOT",
    bot_id="B0QRINFOBOT",
    bot_token="xoxb-demo-not-a-real-token",  # noqa: S106  # never leaves the process
)

# Slack's names for the coloured circles added in 2019 (large_green_circle, ...) are
# not among the emoji package's aliases; its names for them drop the "large_".
_SLACK_CIRCLE = re.compile(r":large_(green|orange|yellow|purple|brown)_circle:")
_DATE_TOKEN = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_BARE_LINK = re.compile(r"<([^|>]+)>")
_BOLD = re.compile(r"(?<!\w)\*([^*\n]+)\*(?!\w)")


@dataclass(frozen=True, slots=True)
class DemoRun:
    status: int
    ack_ms: float
    reply_ms: float | None
    payload: dict[str, Any] | None


def mrkdwn_to_text(text: str) -> str:
    """Slack mrkdwn as a terminal shows it: date fallbacks, links, emoji, no escapes."""
    text = _DATE_TOKEN.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _BARE_LINK.sub(r"\1", text)
    text = _BOLD.sub(r"\1", text)
    text = emoji.emojize(_SLACK_CIRCLE.sub(r":\1_circle:", text), language="alias")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def card_to_text(payload: dict[str, Any]) -> str:
    """A card payload as readable lines."""
    lines: list[str] = []
    for block in payload.get("blocks", []):
        kind = block["type"]
        if kind == "header":
            title = mrkdwn_to_text(block["text"]["text"])
            lines += [title, "═" * min(60, columns(title))]
        elif kind == "section":
            if "text" in block:
                text = mrkdwn_to_text(block["text"]["text"])
                accessory = block.get("accessory", {})
                button = accessory.get("text", {}).get("text") if accessory else None
                lines.append(f"{text}  [{button}]" if button else text)
            for item in block.get("fields", []):
                label, _, value = mrkdwn_to_text(item["text"]).partition("\n")
                lines.append(f"  {pad(label, 14)} {value.strip('`')}")
        elif kind == "actions":
            lines += [
                f"[{e['text']['text']}] {e.get('url', '')}".rstrip() for e in block["elements"]
            ]
        elif kind == "context":
            lines.append("— " + "  ·  ".join(mrkdwn_to_text(e["text"]) for e in block["elements"]))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


async def run_demo(
    app: AsyncApp, signing_secret: str, *, reply_wait: float, text: str = DEFAULT_TEXT
) -> DemoRun:
    """Send one /qrinfo, signed with *signing_secret*, through *app* and wait for its reply."""
    async with ResponseSink() as sink:
        body = slash_command_body(text, response_url=sink.url("/commands/demo"))
        started = time.perf_counter()
        response = await app.async_dispatch(signed_request(body, signing_secret))
        ack_ms = (time.perf_counter() - started) * 1000
        if response.status != 200:
            return DemoRun(response.status, ack_ms, None, None)
        try:
            delivery = await sink.next(reply_wait)
        except TimeoutError:
            return DemoRun(response.status, ack_ms, None, None)
        reply_ms = (time.perf_counter() - started) * 1000
        return DemoRun(response.status, ack_ms, reply_ms, delivery.payload)


def render_run(run: DemoRun, *, as_json: bool, tr: Translator = ENGLISH) -> str:
    """What `qrinfo demo` prints (its own lines in *tr*'s language)."""
    if run.payload is None:
        return (
            tr(
                "no reply arrived (Slack got HTTP {status} after {ms} ms)",
                status=run.status,
                ms=f"{run.ack_ms:.0f}",
            )
            + "\n"
        )
    if as_json:
        return json.dumps(run.payload, ensure_ascii=False, indent=2) + "\n"
    timing = tr(
        "(acked in {ack} ms, card after {card} ms)",
        ack=f"{run.ack_ms:.0f}",
        card=f"{run.reply_ms:.0f}",
    )
    return card_to_text(run.payload) + timing + "\n"
