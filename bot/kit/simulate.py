"""Signed Slack requests made locally: for the demo, the tests and the benchmark.

They go through the app exactly as Slack's would: the same form bodies, the
same ``X-Slack-Signature`` over ``v0:{timestamp}:{body}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

DEMO_TEAM = "T0QRINFO01"
DEMO_USER = "U0QRINFO01"
DEMO_CHANNEL = "C0QRINFO01"


def slash_command_body(
    text: str,
    *,
    response_url: str,
    command: str = "/qrinfo",
    team_id: str = DEMO_TEAM,
    user_id: str = DEMO_USER,
    channel_id: str = DEMO_CHANNEL,
    trigger_id: str = "0000000000.0000000000.demo",
    enterprise_id: str | None = None,
) -> str:
    """The form body Slack posts for a slash command."""
    enterprise = {"enterprise_id": enterprise_id} if enterprise_id else {}
    return urlencode(
        enterprise
        | {
            "token": "legacy-verification-token-unused",
            "team_id": team_id,
            "team_domain": "qrinfo-demo",
            "channel_id": channel_id,
            "channel_name": "qr-support",
            "user_id": user_id,
            "user_name": "demo.user",
            "command": command,
            "text": text,
            "api_app_id": "A0QRINFO01",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    """The form body Slack posts for interactivity: ``payload=<JSON>``."""
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """Headers with a valid signature for *body* (at *timestamp*, default now)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body) or ""
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


def signed_request(body: str, secret: str, *, timestamp: int | None = None) -> AsyncBoltRequest:
    """A request for ``app.async_dispatch``, signed as Slack signs."""
    headers: dict[str, str | Sequence[str]] = dict(
        signed_headers(body, secret, timestamp=timestamp)
    )
    return AsyncBoltRequest(body=body, headers=headers)
