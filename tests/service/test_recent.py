"""The last minutes of lookups that /qrinfo status shows."""

from __future__ import annotations

from bot.service.recent import MAX_KEPT, RecentLookups, percentile


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lookup_older_than_the_window_is_forgotten() -> None:
    clock = Clock()
    recent = RecentLookups(window=900, clock=clock)
    recent.lookup("found")
    recent.gateway_call(0.5)
    clock.now += 600
    recent.lookup("NO_BILL")
    assert recent.summary().lookups == 2
    clock.now += 301  # the first is 901 s old
    summary = recent.summary()
    assert (summary.lookups, summary.found, summary.not_found) == (1, 0, {"NO_BILL": 1})
    assert summary.gateway_calls == 0


def test_outcomes_are_counted_most_frequent_first_and_found_is_its_share() -> None:
    recent = RecentLookups(clock=Clock())
    for kind in ["found", "found", "found", "unavailable", "NO_BILL", "NO_BILL"]:
        recent.lookup(kind)
    summary = recent.summary()
    assert list(summary.not_found.items()) == [("NO_BILL", 2), ("unavailable", 1)]
    assert summary.found_share == 0.5


def test_gateway_percentiles_are_nearest_rank_in_milliseconds() -> None:
    recent = RecentLookups(clock=Clock())
    for ms in range(1, 101):
        recent.gateway_call(ms / 1000)
    summary = recent.summary()
    assert (summary.gateway_p50_ms, summary.gateway_p95_ms) == (50.0, 95.0)
    assert percentile([], 0.5) is None


def test_the_window_keeps_a_bounded_number_of_lookups() -> None:
    recent = RecentLookups(clock=Clock())
    for _ in range(MAX_KEPT + 10):
        recent.lookup("found")
    assert recent.summary().lookups == MAX_KEPT
