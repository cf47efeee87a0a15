"""Helpers every test folder uses: the stand-in gateway's identity, a fixed clock, settings
and a gateway client made from them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings, load_settings
from bot.gateway.client import QrCodeClient

GATEWAY = "https://gateway.test"
APP_ID = "test-app-id-0001"
APP_KEY = "test-app-key-SECRET-0001"
FIXED_NOW = datetime(2026, 11, 25, 4, 0, 0, tzinfo=UTC)  # 12:00:00 in Beijing

ClientFactory = Callable[..., QrCodeClient]


def make_settings(**values: Any) -> Settings:
    defaults: dict[str, Any] = {
        "chinaums_env": "test",
        "chinaums_base_url": GATEWAY,
        "chinaums_app_id": APP_ID,
        "chinaums_app_key": APP_KEY,
        "chinaums_timeout": 2.0,
    }
    return load_settings(**(defaults | values))
