"""Small helpers for Slack Web API failures: what Slack said, or why Slack could not be asked."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.network import os_reason

WEB_API_TIMEOUT_SECONDS = 10  # auth.test and apps.connections.open; Slack's client waits 30
# Codes that mean "try again later", not "this token is no good".
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
)


def error_code(exc: SlackApiError) -> str:
    """Slack's ``error`` field (``invalid_auth``, …), or the HTTP status when the body had none."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"


def refused_by_slack(exc: SlackApiError) -> str | None:
    """The error code when Slack answered and refused (a bad token, a missing scope), else None.

    An answer without Slack's JSON (an HTML error page, HTTP 5xx) or a
    transient code is not a refusal: it says nothing about the token.
    """
    data = getattr(exc.response, "data", None)
    status = getattr(exc.response, "status_code", 500)
    code = data.get("error") if isinstance(data, dict) else None
    if not isinstance(code, str) or not code or status >= 500 or code in TRANSIENT_ERRORS:
        return None
    return code


def unreachable(exc: BaseException, url: str, *, timeout: float = WEB_API_TIMEOUT_SECONDS) -> str:
    """One line on why Slack at *url* gave no usable answer; never an empty reason."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", "?")
        data = getattr(exc.response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        if isinstance(code, str) and code:  # Slack's own answer, a transient one
            return f"Slack answered HTTP {status} ({code}) at {url}"
        return f"Slack answered HTTP {status} without its usual JSON at {url}"
    if isinstance(exc, TimeoutError):
        return f"cannot reach Slack at {url}: no answer within {timeout:g} s"
    return f"cannot reach Slack at {url}: {os_reason(exc)}"
