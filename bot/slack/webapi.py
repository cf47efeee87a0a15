"""Small helpers for Slack Web API failures."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def error_code(exc: SlackApiError) -> str:
    """Slack's ``error`` field (``invalid_auth``, …), or the HTTP status when the body had none."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"
