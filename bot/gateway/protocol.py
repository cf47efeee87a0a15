"""The endpoint's fixed facts and the real clocks: paths, headers, msgIds, the time now."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

QUERY_PATH = "/v1/netpay/bills/query-qrcode-info"
BILLS_PATH = "/v1/netpay/bills/query"  # a bill's payment status (账单查询)
TOKEN_PATH = "/v1/token/access"  # noqa: S105  # a URL path, not a password
# The provider allows this many live access tokens per appId, each living an hour.
MAX_LIVE_TOKENS = 10
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}

WallClock = Callable[[], datetime]  # an aware datetime: what a timestamp shows
NonceFactory = Callable[[], str]


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_msg_id() -> str:
    """A unique msgId (35 of the 64 characters allowed): the gateway echoes it; we log it."""
    return "qri" + uuid.uuid4().hex
