"""Helpers the service tests share: the lookup service over the in-process sandbox (no
network), a requester, a group reader, the seed codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.config import load_settings
from bot.gateway.ids import QrCodeRef
from bot.service.guard import Requester
from bot.service.services import Services
from bot.wiring import build_gateway, build_gateways, build_services, new_gateway_http
from tests.helpers import FIXED_NOW

MID = "898340149000005"
FOUND = QrCodeRef(MID, "31942002268195125132885377")  # the sandbox's seed: found
NO_BILL = QrCodeRef(MID, "31940000000000000000000000")  # the sandbox answers NO_BILL
WHO = Requester(team_id="T0QRINFO01", enterprise_id=None, user_id="U0READER1", channel_id="C0ROOM1")


async def no_group(group: str) -> frozenset[str] | None:
    """A user group reader that cannot say (Slack would not list it)."""
    return None


@asynccontextmanager
async def sandbox_services(**settings: Any) -> AsyncIterator[Services]:
    """The lookup service on the in-process sandbox, with *settings* (load_settings' names);
    its wall clock fixed at FIXED_NOW."""
    loaded = load_settings(**settings)
    http = new_gateway_http(loaded)
    try:
        gateways = build_gateways(loaded, http, build_gateway(loaded, http))
        yield build_services(loaded, gateways, wall_clock=lambda: FIXED_NOW)
    finally:
        await http.aclose()
