"""Interactivity payloads shaped like Slack's, for signed scenario tests."""

from __future__ import annotations

from typing import Any

from bot.kit.simulate import DEMO_CHANNEL, DEMO_TEAM, DEMO_USER

BASE: dict[str, Any] = {
    "team": {"id": DEMO_TEAM, "domain": "qrinfo-demo"},
    "user": {"id": DEMO_USER, "username": "demo.user", "team_id": DEMO_TEAM},
    "api_app_id": "A0QRINFO01",
    "token": "legacy-unused",
    "trigger_id": "1111.2222.trigger",
}


def button_click(action_id: str, value: str, *, response_url: str) -> dict[str, Any]:
    return BASE | {
        "type": "block_actions",
        "container": {
            "type": "message",
            "message_ts": "1.1",
            "channel_id": DEMO_CHANNEL,
            "is_ephemeral": True,
        },
        "channel": {"id": DEMO_CHANNEL, "name": "qr-support"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "card_actions",
                "type": "button",
                "value": value,
                "action_ts": "1.2",
            }
        ],
    }


def global_shortcut(callback_id: str) -> dict[str, Any]:
    return BASE | {"type": "shortcut", "callback_id": callback_id, "action_ts": "1.3"}


def message_shortcut(callback_id: str, text: str, *, response_url: str) -> dict[str, Any]:
    return BASE | {
        "type": "message_action",
        "callback_id": callback_id,
        "action_ts": "1.4",
        "message_ts": "1.5",
        "channel": {"id": DEMO_CHANNEL, "name": "qr-support"},
        "message": {"type": "message", "user": "U0OTHER", "ts": "1.5", "text": text},
        "response_url": response_url,
    }


def view_submission(callback_id: str, mid: str, qr: str) -> dict[str, Any]:
    return BASE | {
        "type": "view_submission",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "state": {
                "values": {
                    "mid": {"value": {"type": "plain_text_input", "value": mid}},
                    "qrCodeId": {"value": {"type": "plain_text_input", "value": qr}},
                }
            },
        },
    }


MESSAGE_TS = "1700000000.000100"
UNFURL_ID = "U0QRINFO01-909b5454-75f8-4ac4-b325-1b40e230bbd8-1"


def link_shared(urls: list[str], *, source: str = "conversations_history") -> dict[str, Any]:
    """The Events API body of a link_shared: *urls* pasted in DEMO_CHANNEL (a message there)
    or, with source "composer", still in the message box (only unfurl_id names it)."""
    composer = source == "composer"
    event = {
        "type": "link_shared",
        "channel": "COMPOSER" if composer else DEMO_CHANNEL,
        "is_bot_user_member": True,
        "user": DEMO_USER,
        "message_ts": UNFURL_ID if composer else MESSAGE_TS,
        "unfurl_id": UNFURL_ID,
        "source": source,
        "event_ts": "1700000000.000200",
        "links": [{"domain": url.split("/")[2], "url": url} for url in urls],
    }
    return {
        "token": "legacy-unused",
        "team_id": DEMO_TEAM,
        "api_app_id": "A0QRINFO01",
        "event": event,
        "type": "event_callback",
        "event_id": "Ev0QRINFO01",
        "event_time": 1700000000,
        "authorizations": [
            {"enterprise_id": None, "team_id": DEMO_TEAM, "user_id": "U0BOT", "is_bot": True}
        ],
        "is_ext_shared_channel": False,
    }


RUN_TOKEN = "xwfp-run-token-0001"  # the token Slack sends with one run of a workflow step


def step_run(
    inputs: dict[str, Any],
    *,
    callback_id: str = "lookup_qr_code",
    execution_id: str = "Fx0RUN000001",
    token: str = RUN_TOKEN,
) -> dict[str, Any]:
    """The Events API body Slack posts when a workflow runs the app's step (function_executed)."""
    return {
        "token": "legacy-unused",
        "team_id": DEMO_TEAM,
        "api_app_id": "A0QRINFO01",
        "type": "event_callback",
        "event_id": "Ev0RUN000001",
        "event_time": 1700000000,
        "authorizations": [
            {
                "team_id": DEMO_TEAM,
                "user_id": "U0BOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "event": {
            "type": "function_executed",
            "function": {
                "id": "Fn0QRINFO001",
                "callback_id": callback_id,
                "title": "Look up a QR code",
                "type": "app",
                "app_id": "A0QRINFO01",
            },
            "inputs": inputs,
            "function_execution_id": execution_id,
            "workflow_execution_id": "Wx0RUN000001",
            "event_ts": "1700000000.000100",
            "bot_access_token": token,
        },
    }


def home_opened(user: str = DEMO_USER, *, tab: str = "home") -> dict[str, Any]:
    """The Events API callback Slack posts (as JSON) when *user* opens the app's *tab*."""
    return {
        "token": "legacy-unused",
        "team_id": DEMO_TEAM,
        "api_app_id": "A0QRINFO01",
        "type": "event_callback",
        "event_id": "Ev0HOME0001",
        "event_time": 1_700_000_000,
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0QRINFODM1",
            "tab": tab,
            "event_ts": "1700000000.000100",
        },
    }


def home_click(action_id: str, value: str = "", *, user: str = DEMO_USER) -> dict[str, Any]:
    """A click on a button of the app's home tab: no channel, no response_url."""
    return BASE | {
        "type": "block_actions",
        "user": BASE["user"] | {"id": user},
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {"id": "V0HOME", "type": "home", "callback_id": "", "blocks": []},
        "actions": [
            {"action_id": action_id, "block_id": "b", "type": "button", "value": value,
             "action_ts": "1.2"}
        ],
    }  # fmt: skip
