"""What the sandbox asks of a request body, endpoint by endpoint, before it looks anything up.

Each check returns the first problem as the gateway's (errCode, errMsg), or None. The rules
are as strict as the provider is known to be, and in one place stricter: ``bills/query``
refuses a ``systemId`` (a field of ``query-qrcode-info`` only, which no client of
``bills/query`` sends), so a client that leaks it into the wrong body is caught here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.gateway.signing import BODY_TIMESTAMP_FORMAT, parse_beijing

TIMESTAMP_WINDOW = timedelta(minutes=5)
BILL_DATE_FORMAT = "%Y-%m-%d"

Problem = tuple[str, str]  # (errCode, errMsg)

# name -> (shortest, longest): required, ASCII letters and digits only.
_QRCODE_IDS = {"mid": (8, 15), "qrCodeId": (1, 32)}
_BILL_IDS = {"mid": (8, 15), "tid": (1, 16), "instMid": (1, 32), "billNo": (1, 32)}
# name -> longest: optional strings.
_QRCODE_OPTIONAL = {"msgId": 64, "srcReserve": 255, "systemId": 32}
_BILL_OPTIONAL = {"msgId": 64, "srcReserve": 255}


def qrcode_body_problem(data: dict[str, Any], now: datetime) -> Problem | None:
    """The first problem of a ``query-qrcode-info`` body."""
    return (
        timestamp_problem(data, now)
        or _ids_problem(data, _QRCODE_IDS)
        or _optional_problem(data, _QRCODE_OPTIONAL)
    )


def bills_body_problem(data: dict[str, Any], now: datetime) -> Problem | None:
    """The first problem of a ``bills/query`` body."""
    if "systemId" in data:
        return "BAD_REQUEST", "systemId不是本接口的字段 (systemId belongs to query-qrcode-info)"
    return (
        timestamp_problem(data, now)
        or _ids_problem(data, _BILL_IDS)
        or _bill_date_problem(data.get("billDate"))
        or _optional_problem(data, _BILL_OPTIONAL)
    )


def timestamp_problem(data: dict[str, Any], now: datetime) -> Problem | None:
    """requestTimestamp: present, ``yyyy-MM-dd HH:mm:ss`` in Beijing, within the window."""
    stamp = data.get("requestTimestamp")
    if not isinstance(stamp, str):
        return "BAD_REQUEST", "requestTimestamp缺失 (requestTimestamp is missing)"
    try:
        sent = parse_beijing(stamp, BODY_TIMESTAMP_FORMAT)
    except ValueError:
        return "BAD_REQUEST", "requestTimestamp格式错误, 应为yyyy-MM-dd HH:mm:ss"
    if abs(sent - now) > TIMESTAMP_WINDOW:
        return "ABNORMAL_REQUEST_TIME", "requestTimestamp与服务器时间相差过大 (clock skew)"
    return None


def _ids_problem(data: dict[str, Any], rules: dict[str, tuple[int, int]]) -> Problem | None:
    for name, (low, high) in rules.items():
        value = data.get(name)
        if not isinstance(value, str) or not value:
            return "BAD_REQUEST", f"{name}缺失 ({name} is missing)"
        if not (low <= len(value) <= high) or not value.isascii() or not value.isalnum():
            return "BAD_REQUEST", f"{name}格式错误 ({name} is malformed)"
    return None


def _bill_date_problem(value: Any) -> Problem | None:
    if not isinstance(value, str) or not value:
        return "BAD_REQUEST", "billDate缺失 (billDate is missing)"
    try:
        datetime.strptime(value, BILL_DATE_FORMAT)  # noqa: DTZ007  # a date, no time of day
    except ValueError:
        return "BAD_REQUEST", "billDate格式错误, 应为yyyy-MM-dd (billDate is malformed)"
    if len(value) != len("yyyy-MM-dd"):  # strptime also takes 2026-1-5
        return "BAD_REQUEST", "billDate格式错误, 应为yyyy-MM-dd (billDate is malformed)"
    return None


def _optional_problem(data: dict[str, Any], limits: dict[str, int]) -> Problem | None:
    for name, limit in limits.items():
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return "BAD_REQUEST", f"{name}超长或类型错误 ({name}: a string of at most {limit})"
    return None
