"""The metrics of state (bot/service/live_metrics.py): read from the live objects at each
scrape and drawn as families, each gateway's labelled with its environment."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry

from bot.service.live_metrics import Live, LiveCollector, LiveGateway


def scraped(live: Live) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(LiveCollector(lambda: live))
    return registry


GATEWAY = LiveGateway("sandbox", 3, "half-open", {"ok": 2, "failed": 1}, 120.0)


def test_each_gateway_is_labelled_with_its_environment() -> None:
    other = LiveGateway("prod", 0, "open", {}, None)
    registry = scraped(Live(5, (GATEWAY, other), audit_lines_lost=4))
    value = registry.get_sample_value
    assert value("qrinfo_lookups_in_flight", {}) == 5
    assert value("qrinfo_gateway_calls_in_flight", {"gateway": "sandbox"}) == 3
    assert value("qrinfo_gateway_circuit_state", {"gateway": "sandbox"}) == 1
    assert value("qrinfo_gateway_circuit_state", {"gateway": "prod"}) == 2
    assert (
        value("qrinfo_gateway_token_requests_total", {"gateway": "sandbox", "outcome": "ok"}) == 2
    )
    assert value("qrinfo_gateway_token_requests_total", {"gateway": "prod", "outcome": "ok"}) == 0
    assert value("qrinfo_gateway_token_expires_in_seconds", {"gateway": "sandbox"}) == 120.0
    assert math.isnan(value("qrinfo_gateway_token_expires_in_seconds", {"gateway": "prod"}) or 0)
    assert value("qrinfo_audit_lines_lost_total", {}) == 4


def test_a_breaker_state_not_known_reads_as_open() -> None:
    registry = scraped(Live(0, (LiveGateway("test", 0, "???", {}, None),), 0))
    assert registry.get_sample_value("qrinfo_gateway_circuit_state", {"gateway": "test"}) == 2


def test_redis_up_is_drawn_only_with_replicas_sharing_state() -> None:
    assert scraped(Live(0, (), 0)).get_sample_value("qrinfo_redis_up", {}) is None
    assert scraped(Live(0, (), 0, fleet_state="redis")).get_sample_value("qrinfo_redis_up") == 1
    assert scraped(Live(0, (), 0, fleet_state="degraded")).get_sample_value("qrinfo_redis_up") == 0


def test_the_state_is_read_at_every_scrape() -> None:
    reads = []

    def read() -> Live:
        reads.append(1)
        return Live(len(reads), (), 0)

    registry = CollectorRegistry()
    registry.register(LiveCollector(read))
    first = registry.get_sample_value("qrinfo_lookups_in_flight")
    assert registry.get_sample_value("qrinfo_lookups_in_flight") == (first or 0) + 1
