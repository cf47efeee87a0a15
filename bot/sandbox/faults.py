"""Fault injection for the sandbox: latency, 5xx replies, malformed bodies, hangs.

Set per run (:class:`FaultConfig`, the ``qrinfo sandbox`` flags) or per code
(a qrCodeId listed under ``faults`` in fixtures.json triggers its fault on
every lookup). Randomness is seeded, so a run can be repeated.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Literal

FaultName = Literal["hang", "5xx", "malformed", "slow", "flaky"]
FAULT_NAMES: tuple[FaultName, ...] = ("hang", "5xx", "malformed", "slow", "flaky")

SLOW_SECONDS = 2.0
HANG_SECONDS = 3600.0

BAD_GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Per-run faults. Rates are shares of query requests, from 0 to 1."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    hang_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        # nan compares false with everything, so each check asks what is allowed, not what is not.
        for name in ("error_rate", "malformed_rate", "hang_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, such as 0.1, got {rate}")
        for name in ("latency_ms", "jitter_ms"):
            milliseconds = getattr(self, name)
            # At most the hang's hour: more is no latency but a hang that never ends (and
            # asyncio cannot wait 1e308 ms). nan fails both comparisons.
            if not 0 <= milliseconds <= HANG_SECONDS * 1000:
                raise ValueError(
                    f"{name} must be a number of milliseconds from 0 to "
                    f"{HANG_SECONDS * 1000:.0f} (an hour), such as 500, got {milliseconds:g}"
                )


@dataclass(slots=True)
class FaultInjector:
    """Decides, request by request, which fault (if any) happens."""

    config: FaultConfig = field(default_factory=FaultConfig)
    by_code: dict[str, FaultName] = field(default_factory=dict)
    _random: random.Random = field(init=False)
    _flaky_calls: dict[str, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.config.seed)  # noqa: S311  # simulation, not crypto

    async def delay(self) -> None:
        """The configured latency plus up to jitter_ms of random extra."""
        seconds = self.config.latency_ms / 1000
        if self.config.jitter_ms:
            seconds += self._random.uniform(0, self.config.jitter_ms) / 1000
        if seconds > 0:
            await asyncio.sleep(seconds)

    def pick(self, qr_code_id: str | None) -> FaultName | None:
        """The fault for this request: the code's own trigger first, then the per-run rates."""
        triggered = self.by_code.get(qr_code_id or "")
        if triggered == "flaky":
            # Fails every other call: the first attempt gets a 503, the retry succeeds.
            count = self._flaky_calls.get(qr_code_id or "", 0)
            self._flaky_calls[qr_code_id or ""] = count + 1
            return "5xx" if count % 2 == 0 else None
        if triggered is not None:
            return triggered
        roll = self._random.random()
        for name, rate in (
            ("hang", self.config.hang_rate),
            ("5xx", self.config.error_rate),
            ("malformed", self.config.malformed_rate),
        ):
            if roll < rate:
                return name  # type: ignore[return-value]  # one of FAULT_NAMES
            roll -= rate
        return None
