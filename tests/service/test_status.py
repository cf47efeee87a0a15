"""What `/qrinfo status` shows (bot/service/status.py): each gateway's state, the default
first, the last minutes, the bot's version and uptime, read from the live services."""

from __future__ import annotations

from bot.service.lookup import look_up
from bot.service.status import status_of
from tests.helpers import FIXED_NOW
from tests.service.helpers import FOUND, WHO, no_group, sandbox_services


async def test_status_names_each_gateway_the_default_first() -> None:
    async with sandbox_services(
        chinaums_prod_app_id="prod-id",
        chinaums_prod_app_key="prod-key",
        chinaums_prod_auth="token",
    ) as services:
        status = status_of(services)
    assert [(g.env, g.gateway_url, g.auth) for g in status.gateways] == [
        ("sandbox", "http://127.0.0.1:8700", "body-sig"),
        ("prod", "https://api-mop.chinaums.com", "token"),
    ]
    sandbox, prod = status.gateways
    assert sandbox.token_expires_in is None  # body-sig holds no token
    assert prod.token_expires_in is None  # token auth, none taken yet
    assert (sandbox.breaker.state, prod.breaker.state) == ("closed", "closed")


async def test_status_is_of_this_moment_and_counts_the_last_lookups() -> None:
    async with sandbox_services() as services:
        await look_up(services, FOUND, who=WHO, action="command", read_group=no_group)
        status = status_of(services)
    assert status.now == FIXED_NOW
    assert (status.recent.lookups, status.recent.found) == (1, 1)
    assert status.version == services.metrics.version
    assert status.uptime >= 0
    assert status.fleet is None
