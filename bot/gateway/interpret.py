"""Reading the gateway's replies: a QR code or a bill, a definite refusal, or something to
retry. Both APIs answer alike; only the model a SUCCESS reply is read into differs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar, overload

from pydantic import ValidationError

from bot.gateway.attempts import Attempts, Retryable
from bot.gateway.errors import AUTH_CODES, TRANSIENT_CODES, GatewayAuthError, GatewayRejected
from bot.gateway.models import GatewayModel, QrCodeInfo

ReplyT = TypeVar("ReplyT", bound=GatewayModel)


class Reply(Protocol):
    """What a reply is read from: an ``httpx.Response``, or the path around httpx's own reply
    (:class:`bot.gateway.on_http1.Http1Reply`), its body decoded as httpx decodes it."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


@overload
def interpret(response: Reply, attempts: Attempts, *, origin: str) -> QrCodeInfo: ...


@overload
def interpret(
    response: Reply, attempts: Attempts, *, origin: str, model: type[ReplyT]
) -> ReplyT: ...


def interpret(
    response: Reply,
    attempts: Attempts,
    *,
    origin: str,
    model: type[GatewayModel] = QrCodeInfo,
) -> GatewayModel:
    """The reply in *response* read as *model* (a QR code unless told); else GatewayAuthError,
    GatewayRejected, GatewayUnavailable, or Retryable when another attempt may do better
    (5xx, 429, a busy code, garbled JSON)."""
    status = response.status_code
    data = json_object(response.content)
    attempts.answered(status, data if data is not None else _snippet(response.content))
    if status == 429 or status >= 500:
        raise Retryable(f"HTTP {status} from the gateway at {origin}")
    code = data.get("errCode") if data is not None else None
    if data is None or not isinstance(code, str | int) or isinstance(code, bool):
        if 400 <= status < 500:
            raise GatewayAuthError(
                code=None, message=None, http_status=status, msg_id=attempts.msg_id
            )
        raise Retryable(_describe_garbled(response, data))
    code = str(code)
    message = text(data.get("errMsg")) or text(data.get("errInfo"))
    if code.isdigit() or code in AUTH_CODES or status in (401, 403, 412):
        raise GatewayAuthError(
            code=code, message=message, http_status=status, msg_id=attempts.msg_id
        )
    if code in TRANSIENT_CODES:
        raise Retryable(f"gateway busy ({code})")
    if code != "SUCCESS":
        raise GatewayRejected(code=code, message=message, msg_id=attempts.msg_id)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise attempts.unavailable(_describe_invalid(exc)) from None


def json_object(content: bytes) -> dict[str, Any] | None:
    """The JSON object in *content*, or None when it is not one."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _snippet(content: bytes) -> str:
    """A reply that is not a JSON object, as text (the first 2,000 characters)."""
    return content[:8000].decode("utf-8", "replace")[:2000]


def text(value: object) -> str | None:
    """*value* when it is a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def _describe_garbled(response: Reply, data: dict[str, Any] | None) -> str:
    if data is not None:
        return f"HTTP {response.status_code} reply without an errCode"
    content_type = response.headers.get("content-type", "no content type")
    snippet = response.content[:60].decode("utf-8", "replace").strip()
    kind = "HTML" if "html" in content_type or snippet.lower().startswith("<") else "not JSON"
    return (
        f"HTTP {response.status_code} reply is {kind} "
        f"({len(response.content)} bytes, {content_type}): {snippet!r}"
    )


def _describe_invalid(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "reply"
    return f"the gateway's reply has an unreadable field {where}: {first['msg']}"
