"""Routing a lookup to a gateway (bot/service/gateways.py): the default, the one its
environment names, the sandbox standing in, or a missing gateway named with its settings."""

from __future__ import annotations

from typing import cast

import pytest

from bot.gateway.client import QrCodeClient
from bot.gateway.config import Environment
from bot.service.gateways import Gateways, MissingGateway

SANDBOX, TEST, PROD = (cast(QrCodeClient, object()) for _ in range(3))


def settings_for(env: Environment) -> tuple[str, ...]:
    return (f"CHINAUMS_{env.upper()}_APP_ID", f"CHINAUMS_{env.upper()}_APP_KEY")


def gateways(default: Environment, **clients: QrCodeClient) -> Gateways:
    given = cast(dict[Environment, QrCodeClient], clients)
    return Gateways(default, given, settings_for=settings_for)


def test_a_lookup_naming_no_environment_goes_to_the_default() -> None:
    assert gateways("test", prod=PROD, test=TEST).route(None) == "test"


def test_a_lookup_naming_a_configured_environment_goes_there() -> None:
    routes = gateways("test", test=TEST, prod=PROD)
    assert routes.route("prod") == "prod"
    assert routes.client("prod") is PROD


def test_the_sandbox_as_default_stands_in_for_an_environment_without_a_gateway() -> None:
    assert gateways("sandbox", sandbox=SANDBOX).route("prod") == "sandbox"


def test_another_default_leaves_such_a_lookup_missing_with_the_settings_it_needs() -> None:
    assert gateways("test", test=TEST).route("prod") == MissingGateway(
        "prod", ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY")
    )


def test_the_default_comes_first_whatever_the_order_given() -> None:
    routes = gateways("prod", test=TEST, prod=PROD)
    assert [env for env, _ in routes] == ["prod", "test"]
    assert len(routes) == 2
    assert routes.default_client is PROD
    assert repr(routes) == "Gateways(default='prod', envs=['prod', 'test'])"


def test_a_default_without_a_client_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no client for the default gateway \(prod\)"):
        gateways("prod", test=TEST)
