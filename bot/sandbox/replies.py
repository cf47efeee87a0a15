"""The sandbox's answers: their shape, and the gateway-level failures it can send."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GatewayCode:
    """A gateway-level (numeric) failure. The provider leaves these undocumented; ours."""

    code: str
    info: str
    status: int = 412


AUTH_MISSING = GatewayCode(
    "1000", "Authorization缺失或格式错误 (missing or malformed Authorization)"
)
UNKNOWN_APP = GatewayCode("1001", "AppId不存在 (unknown appId)")
BAD_SIGNATURE = GatewayCode("1002", "签名验证失败 (signature mismatch)")
BAD_TIMESTAMP = GatewayCode("1003", "时间戳超出允许范围 (timestamp outside the window)")
REPLAYED_NONCE = GatewayCode("1004", "Nonce重复使用 (nonce replayed)")
BAD_TOKEN = GatewayCode("1005", "AccessToken无效或已过期 (token invalid or expired)", status=401)
TOO_MANY_TOKENS = GatewayCode("1006", "AccessToken数量超过上限 (more than 10 live tokens)")


@dataclass(frozen=True, slots=True)
class SandboxResponse:
    """An answer: its HTTP status, body and content type."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def json_reply(status: int, data: Mapping[str, Any]) -> SandboxResponse:
    """*data* as the gateway's JSON (UTF-8, Chinese as written)."""
    return SandboxResponse(status, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def gateway_error(error: GatewayCode) -> SandboxResponse:
    """A gateway-level failure: a numeric errCode with errInfo, and its HTTP status."""
    return json_reply(error.status, {"errCode": error.code, "errInfo": error.info})


def business(code: str, message: str, **echo: Any) -> SandboxResponse:
    """A business answer (HTTP 200): errCode, errMsg, and the echoes that have a value."""
    return json_reply(
        200, {"errCode": code, "errMsg": message} | {k: v for k, v in echo.items() if v}
    )
