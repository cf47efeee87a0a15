"""The front door: a request's signature is checked and its body read before Bolt sees any of it.

Pure: no I/O and no clock of its own. Two questions, in this order:

1. Did Slack send it? (:func:`signature_problem`) A request that fails is
   refused whole: nothing in it (response_url, trigger_id, user, channel) is
   ever read, let alone used.
2. Is it something Slack sends? (:func:`read_body`, :func:`payload_problem`)
   Bolt's own parsing and listener matching index into payloads without
   checking (``body["actions"][0]``, ``body["view"]["callback_id"]``), so a
   verified but malformed body would end in a 500 and a traceback. Bodies are
   read here first, by the rules Bolt uses, and checked for what Bolt and our
   listeners read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qsl

# Slack's rule: refuse a request whose timestamp is more than five minutes off.
MAX_SKEW_SECONDS = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class NotFromSlack(Exception):
    """Unsigned or wrongly signed. ``reason`` is ours, never an echo of the request."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotSlackShaped(Exception):
    """Verified, but not a body or payload Slack sends. ``reason`` names what is wrong."""

    def __init__(self, reason: str, *, response_url: str | None = None) -> None:
        self.reason = reason
        self.response_url = response_url
        super().__init__(reason)


def check_signature(
    secret: str, *, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Raise NotFromSlack unless *signature* is Slack's ``v0`` HMAC of *body* at *timestamp*.

    Never raises anything else, whatever the headers hold: a malformed header
    is a failed verification, not an error.
    """
    if not timestamp or not signature:
        raise NotFromSlack("no signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise NotFromSlack("malformed timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        raise NotFromSlack("stale timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise NotFromSlack("malformed signature")
    basestring = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise NotFromSlack("signature mismatch")


def read_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body as Bolt will read it (JSON, a form, or a form's ``payload``), if Slack sends such.

    Raises NotSlackShaped otherwise. Bolt parses again from the same text and
    gets the same dict: these are its rules, made strict.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotSlackShaped("the body is not UTF-8") from None
    if not text:
        raise NotSlackShaped("the body is empty")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type == "application/json" or text.startswith("{"):
        return _json_object(text, "the JSON body")
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:  # Bolt's own test: the word anywhere means an interaction payload
        if "payload" not in fields:
            raise NotSlackShaped("a form body without its payload field")
        return _json_object(fields["payload"], "the payload")
    if "command" in fields or fields.get("ssl_check") == "1":
        return fields
    raise NotSlackShaped("a form body that is neither a command nor an interaction")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        raise NotSlackShaped(f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise NotSlackShaped(f"{what} is not a JSON object")
    return data


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes *body* something Slack would not send (and Bolt or a listener would trip on)."""
    for key in ("user", "team", "channel", "enterprise"):
        value = body.get(key)
        if isinstance(value, dict):
            if not isinstance(value.get("id", ""), str):
                return f"its {key} id is not a string"
        elif value is not None and not isinstance(value, str):
            return f"its {key} is neither an object nor an id"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "its authorizations are not a list of objects"
    if "response_url" in body and not isinstance(body["response_url"], str):
        return "its response_url is not a string"
    if "command" in body:
        return _command_problem(body)
    kind = body.get("type")
    check = _PROBLEMS_BY_TYPE.get(kind) if isinstance(kind, str) else None
    return check(body) if check is not None else None


def _command_problem(body: dict[str, Any]) -> str | None:
    for key in ("command", "user_id", "team_id", "response_url"):
        if not isinstance(body.get(key), str) or not body[key]:
            return f"the command has no {key}"
    return None


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    value = user.get("id") if isinstance(user, dict) else None
    return value if isinstance(value, str) and value else None


def _actions_problem(body: dict[str, Any]) -> str | None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return "the click carries no action"
    if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
        return "an action has no action_id"
    if _user_id(body) is None:
        return "the click names no user"
    return None


def _view_problem(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
        return "the form submission carries no view"
    if _user_id(body) is None:
        return "the form submission names no user"
    return None


def _shortcut_problem(body: dict[str, Any]) -> str | None:
    if not isinstance(body.get("callback_id"), str):
        return "the shortcut has no callback_id"
    if _user_id(body) is None:
        return "the shortcut names no user"
    if not isinstance(body.get("trigger_id"), str) or not body["trigger_id"]:
        return "the shortcut has no trigger_id, so no form can be opened"
    if body.get("type") == "message_action" and not isinstance(body.get("message"), dict):
        return "the message shortcut carries no message"
    return None


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "the event has no type"
    return None


_PROBLEMS_BY_TYPE = {
    "block_actions": _actions_problem,
    "interactive_message": _actions_problem,
    "view_submission": _view_problem,
    "view_closed": _view_problem,
    "shortcut": _shortcut_problem,
    "message_action": _shortcut_problem,
    "event_callback": _event_problem,
}


def read_payload(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """:func:`read_body`, then :func:`payload_problem`: a body Bolt can take, or NotSlackShaped.

    A payload whose only fault is its shape keeps its response_url on the
    exception, so the person who clicked can be told (the request was verified).
    """
    body = read_body(raw, content_type)
    problem = payload_problem(body)
    if problem is not None:
        url = body.get("response_url")
        raise NotSlackShaped(problem, response_url=url if isinstance(url, str) else None)
    return body
