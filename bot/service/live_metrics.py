"""The metrics of state: work in flight, each gateway's breaker and token, Redis, the audit
trail. Read from the live objects only when /metrics is scraped (Metrics.watch registers
the reader), so keeping them costs nothing per lookup."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


@dataclass(frozen=True, slots=True)
class LiveGateway:
    """One gateway's state, as /metrics reads it (labelled with its environment)."""

    env: str
    calls_in_flight: int
    breaker: str  # closed | half-open | open
    token_requests: dict[str, int]  # by outcome: ok | refused | failed
    token_expires_in: float | None  # seconds; None when no token is held (or body-sig)


@dataclass(frozen=True, slots=True)
class Live:
    """The state /metrics reads at scrape time (from the wiring's live objects)."""

    lookups_in_flight: int
    gateways: tuple[LiveGateway, ...]
    audit_lines_lost: int
    fleet_state: str | None = None  # None (one process), "redis" or "degraded"


class LiveCollector(Collector):
    """The state *read* gives, as metric families, at every scrape."""

    def __init__(self, read: Callable[[], Live]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        live = self._read()
        yield GaugeMetricFamily(
            "qrinfo_lookups_in_flight",
            "Lookups started and not answered yet.",
            value=live.lookups_in_flight,
        )
        yield from _gateway_families(live.gateways)
        if live.fleet_state is not None:
            yield GaugeMetricFamily(
                "qrinfo_redis_up",
                "1 while the replicas' shared state in Redis works, 0 while it is lost "
                "(each replica on its own state).",
                value=1 if live.fleet_state == "redis" else 0,
            )
        yield CounterMetricFamily(
            "qrinfo_audit_lines_lost",
            "Audit lines that could not be written.",
            value=live.audit_lines_lost,
        )


def _gateway_families(gateways: Iterable[LiveGateway]) -> tuple[Metric, ...]:
    """Each gateway's calls in flight, breaker and token, labelled with its environment."""
    in_flight = GaugeMetricFamily(
        "qrinfo_gateway_calls_in_flight",
        "Calls to the gateway holding a slot now.",
        labels=["gateway"],
    )
    breaker = GaugeMetricFamily(
        "qrinfo_gateway_circuit_state",
        "The gateway breaker: 0 closed, 1 half-open (one trial call), 2 open (calls paused).",
        labels=["gateway"],
    )
    tokens = CounterMetricFamily(
        "qrinfo_gateway_token_requests",
        "Access-token requests (token auth), by outcome: ok, refused, failed.",
        labels=["gateway", "outcome"],
    )
    expires = GaugeMetricFamily(
        "qrinfo_gateway_token_expires_in_seconds",
        "Seconds until the access token expires; NaN when none is held.",
        labels=["gateway"],
    )
    for gateway in gateways:
        env = gateway.env
        in_flight.add_metric([env], gateway.calls_in_flight)
        breaker.add_metric([env], BREAKER_STATES.get(gateway.breaker, 2))
        for outcome in ("ok", "refused", "failed"):
            tokens.add_metric([env, outcome], gateway.token_requests.get(outcome, 0))
        left = gateway.token_expires_in
        expires.add_metric([env], math.nan if left is None else left)
    return (in_flight, breaker, tokens, expires)
