"""What the gateway client needs to know, and nothing else: its own small configuration.

The wiring builds it from the process's settings; the client never sees those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

Environment = Literal["sandbox", "test", "prod"]
AuthScheme = Literal["body-sig", "token"]


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """One gateway, one developer account. The key is a SecretStr: no repr shows it."""

    base_url: str
    app_id: str
    app_key: SecretStr
    auth: AuthScheme = "body-sig"
    timeout: float = 8.0  # seconds for a whole lookup, token and retries included
    max_in_flight: int = 512
    system_id: str | None = None
    src_reserve: str | None = None
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0
