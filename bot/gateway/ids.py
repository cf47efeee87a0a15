"""Checks on merchant numbers and QR code ids that need no gateway.

What we reject here never leaves the process; what passes may still be
unknown to the gateway (it answers NO_MERCHANT or NO_BILL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.gateway.config import Environment
from bot.gateway.errors import InvalidInput
from bot.i18n import N_

MID_EXAMPLE = "898340149000005"
QR_CODE_ID_EXAMPLE = "31942002268195125132885377"

# The provider's page caps mid at 15 characters; real ones are 15 digits, but
# the platform spec allows from 8, so shorter ones are left to the gateway.
_MID = re.compile(r"[0-9A-Za-z]{8,15}")
# About 26 characters; the 4-character source prefix may hold letters (147G...).
_QR_CODE_ID = re.compile(r"[0-9A-Za-z]{8,32}")

MID_EXPECTED = N_("a merchant number of 8 to 15 letters or digits (usually 15 digits)")
QR_CODE_ID_EXPECTED = N_("a QR code id of 8 to 32 letters or digits (usually 26)")


def check_mid(value: str) -> str:
    """*value* stripped, if it can be a merchant number; else InvalidInput."""
    value = value.strip()
    if not _MID.fullmatch(value):
        raise InvalidInput(field="mid", expected=MID_EXPECTED, example=MID_EXAMPLE)
    return value


def check_qr_code_id(value: str) -> str:
    """*value* stripped, if it can be a QR code id; else InvalidInput."""
    value = value.strip()
    if not _QR_CODE_ID.fullmatch(value):
        raise InvalidInput(
            field="qrCodeId", expected=QR_CODE_ID_EXPECTED, example=QR_CODE_ID_EXAMPLE
        )
    return value


@dataclass(frozen=True, slots=True)
class QrCodeRef:
    """A merchant number and a QR code id that passed every local check: what to look up,
    and on which gateway (*env*; None: the default one)."""

    mid: str
    qr_code_id: str
    env: Environment | None = None

    @classmethod
    def checked(cls, mid: str, qr_code_id: str, env: Environment | None = None) -> QrCodeRef:
        """Both values checked (stripped), or InvalidInput naming the first at fault."""
        return cls(mid=check_mid(mid), qr_code_id=check_qr_code_id(qr_code_id), env=env)
