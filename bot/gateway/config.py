"""What the gateway client needs to know, and nothing else: its own small configuration.

The wiring builds it from the process's settings; the client never sees those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

Environment = Literal["sandbox", "test", "prod"]
AuthScheme = Literal["body-sig", "token"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayConfig:
    """One gateway, one developer account. The key is a SecretStr: no repr shows it.

    No defaults: the values (and their defaults) are Settings', passed by the wiring.
    """

    base_url: str
    app_id: str
    app_key: SecretStr
    auth: AuthScheme
    timeout: float  # seconds for a whole lookup, token and retries included
    max_in_flight: int
    system_id: str | None
    src_reserve: str | None
    breaker_failures: int
    breaker_cooldown: float
