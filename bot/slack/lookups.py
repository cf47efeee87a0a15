"""One lookup, from a parsed request to a card: the service every listener shares."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.gateway.client import QrCodeClient, new_msg_id, utc_now
from bot.gateway.errors import (
    GatewayAuthError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
)
from bot.slack.cards import (
    Card,
    CardButtons,
    Environment,
    LookupContext,
    auth_error_card,
    input_error_card,
    qr_card,
    rejected_card,
    unavailable_card,
)
from bot.slack.parse import Lookup, encode_button_value

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What listeners need, built once per app: settings, the gateway client, a clock."""

    settings: Settings
    gateway: QrCodeClient
    clock: Callable[[], datetime] = utc_now

    @property
    def env(self) -> Environment:
        return self.settings.chinaums_env


@dataclass(frozen=True, slots=True)
class LookupResult:
    card: Card
    msg_id: str
    outcome: str  # found | <errCode> | unavailable | misconfigured | invalid


async def look_up(
    services: Services,
    request: Lookup,
    *,
    shared_by: str | None = None,
    refreshed: bool = False,
) -> LookupResult:
    """Ask the gateway and render whatever comes back (expected errors included) as a card.

    The card's buttons carry the lookup; a card shared by someone keeps their
    name and loses its Share button.
    """
    msg_id = new_msg_id()
    started = time.monotonic()
    value = encode_button_value(request, shared_by=shared_by)

    def context() -> LookupContext:
        return LookupContext(
            env=services.env,
            msg_id=msg_id,
            looked_up_at=services.clock(),
            duration_ms=(time.monotonic() - started) * 1000,
            refreshed=refreshed,
            shared_by=shared_by,
        )

    try:
        info = await services.gateway.query_qrcode_info(
            request.mid, request.qr_code_id, msg_id=msg_id
        )
    except GatewayRejected as exc:
        return LookupResult(rejected_card(exc, context(), retry=value), msg_id, exc.code)
    except GatewayUnavailable as exc:
        return LookupResult(unavailable_card(exc, context(), retry=value), msg_id, "unavailable")
    except GatewayAuthError as exc:
        # The user is told to contact the operator; the operator gets the detail here.
        log.error("gateway refused the bot's request msgId=%s: %s", msg_id, exc)
        return LookupResult(auth_error_card(exc, context(), retry=value), msg_id, "misconfigured")
    except InvalidInput as exc:  # the parser checks first; this is the client's own guard
        return LookupResult(input_error_card(str(exc), services.env), msg_id, "invalid")
    buttons = CardButtons(value=value, shareable=shared_by is None)
    card = qr_card(info, context(), now=services.clock(), buttons=buttons)
    return LookupResult(card, msg_id, "found")
