"""The Slack app manifest declares what the code serves, with the fewest scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.qr_urls import QR_HOSTS
from bot.slack.cards.step_outputs import OUTPUTS
from bot.slack.listeners.shortcuts import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from bot.slack.listeners.workflow import STEP
from bot.slack.reading.inbound import _EVENT_PROBLEMS
from bot.slack.reading.step_inputs import MERCHANT_NO, QR_CODE

MANIFEST = Path(__file__).parent.parent / "manifest.yml"


def load() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_command_is_declared_with_description_and_usage_hint() -> None:
    """/qrinfo with a description, a usage hint and no escaping."""
    [command] = load()["features"]["slash_commands"]
    assert command["command"] == "/qrinfo"
    assert command["description"]
    assert "<merchant no.>" in command["usage_hint"]
    assert command["should_escape"] is False


def test_interactivity_and_socket_mode_are_on_with_exactly_the_scopes_used() -> None:
    """Buttons need interactivity; Socket Mode needs no public URL; commands, chat:write,
    users:read (a reader's locale), im:write and files:write (Show QR code's image in a DM),
    links:read and links:write (unfurls)."""
    manifest = load()
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "users:read",
        "im:write",
        "files:write",
        "links:read",
        "links:write",
    ]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert len(manifest["display_information"]["name"]) <= 35


def test_the_shortcuts_match_the_callback_ids_the_code_listens_for() -> None:
    """The global and message shortcuts carry the callback ids registered in the app."""
    shortcuts = {s["type"]: s for s in load()["features"]["shortcuts"]}
    assert shortcuts["global"]["callback_id"] == GLOBAL_SHORTCUT
    assert shortcuts["global"]["name"] == "Look up a QR code"
    assert shortcuts["message"]["callback_id"] == MESSAGE_SHORTCUT
    assert shortcuts["message"]["name"] == "Look up this QR code"


def test_unfurls_are_for_exactly_the_qr_hosts_the_code_knows() -> None:
    """unfurl_domains are bot/qr_urls.py's hosts, no more (Slack takes at most 5), and
    the bot subscribes to link_shared."""
    manifest = load()
    domains = manifest["features"]["unfurl_domains"]
    assert sorted(domains) == sorted(QR_HOSTS)
    assert len(domains) <= 5
    assert "link_shared" in manifest["settings"]["event_subscriptions"]["bot_events"]


def test_the_workflow_step_declares_the_inputs_read_and_the_outputs_sent() -> None:
    """lookup_qr_code runs here (remote), its runs arrive as function_executed, and its
    parameters are the code's: two required strings (nothing that claims who ran it), and
    every output (found a boolean, the rest strings). Custom steps need an org-ready app."""
    manifest = load()
    step = manifest["functions"][STEP]
    inputs = step["input_parameters"]
    assert {name: (p["type"], p["is_required"]) for name, p in inputs.items()} == {
        MERCHANT_NO: ("string", True),
        QR_CODE: ("string", True),
    }
    outputs = step["output_parameters"]
    assert tuple(outputs) == OUTPUTS
    assert {name: p["type"] for name, p in outputs.items()} == {
        name: "boolean" if name == "found" else "string" for name in OUTPUTS
    }
    assert all(p["title"] and p["description"] for p in [*inputs.values(), *outputs.values()])
    settings = manifest["settings"]
    assert settings["function_runtime"] == "remote"
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert settings["org_deploy_enabled"] is True


def test_the_home_tab_is_on_and_its_one_event_is_the_one_the_front_door_takes() -> None:
    """App Home: the tab enabled, app_home_opened subscribed, and nothing else (the front
    door refuses any other event)."""
    manifest = load()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "app_home_opened" in events
    assert set(events) == set(_EVENT_PROBLEMS)  # the front door takes these and no other
