"""The metrics one app keeps (bot/service/metrics.py): the labels an outcome takes, what each
event moves, and /metrics drawn at most once a second on an injected clock."""

from __future__ import annotations

from bot.service.metrics import Metrics, code_label, outcome_label


def test_metrics_are_drawn_at_most_once_a_second_whatever_the_scrapes() -> None:
    """A flood of scrapes costs one drawing a second; the next second shows what moved."""
    clock = FakeClock()
    metrics = Metrics(clock=clock)
    first, kind = metrics.exposition()
    metrics.lookup("command", "found", 0.1)
    assert metrics.exposition() == (first, kind)
    clock.now += 1.0
    assert metrics.exposition()[0] != first


def test_every_reply_failure_series_exists_from_the_start_at_zero() -> None:
    """So that rate() and increase() see the first failure (a new series starts unseen)."""
    text = Metrics().exposition()[0].decode()
    assert 'qrinfo_slack_replies_failed_total{reason="spent",via="response_url"} 0.0' in text
    assert 'qrinfo_refusals_total{reason="rate"} 0.0' in text


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_gateway_code_is_labelled_rejected_and_an_outcome_itself() -> None:
    assert [outcome_label(k) for k in ("found", "busy", "NO_BILL")] == ["found", "busy", "rejected"]


def test_only_documented_codes_label_a_rejection_the_rest_are_other() -> None:
    assert code_label("NO_BILL") == "NO_BILL"
    assert code_label("SOMETHING_NEW_<script>") == "other"


def test_a_lookup_moves_its_counter_its_histogram_and_the_recent_window() -> None:
    metrics = Metrics(clock=FakeClock())
    metrics.lookup("command", "NO_BILL", 0.2)
    value = metrics.registry.get_sample_value
    assert value("qrinfo_lookups_total", {"action": "command", "outcome": "rejected"}) == 1
    assert value("qrinfo_lookup_duration_seconds_count", {"outcome": "rejected"}) == 1
    assert metrics.recent.summary().not_found == {"NO_BILL": 1}


def test_a_gateway_call_is_timed_by_gateway_and_a_rejection_counted_by_code() -> None:
    metrics = Metrics(clock=FakeClock())
    metrics.gateways(["sandbox"])
    metrics.gateway_call("NO_BILL", 0.3, gateway="sandbox")
    metrics.gateway_call("busy", 0.0, gateway="prod")  # a gateway the wiring did not name
    value = metrics.registry.get_sample_value
    labels = {"gateway": "sandbox", "outcome": "rejected"}
    assert value("qrinfo_gateway_call_duration_seconds_count", labels) == 1
    assert value("qrinfo_gateway_rejections_total", {"code": "NO_BILL"}) == 1
    assert (
        value("qrinfo_gateway_call_duration_seconds_count", {"gateway": "prod", "outcome": "busy"})
        == 1
    )
    # busy never reached the gateway: not one of its recent calls
    assert metrics.recent.summary().gateway_calls == 1


def test_openmetrics_is_drawn_when_asked_and_a_bad_accept_gets_the_default() -> None:
    metrics = Metrics(version="1.2.3", clock=FakeClock())
    body, kind = metrics.exposition("application/openmetrics-text; version=1.0.0")
    assert kind.startswith("application/openmetrics-text")
    assert body.endswith(b"# EOF\n")
    text, plain = metrics.exposition("application/openmetrics-text; version=abc")
    assert plain.startswith("text/plain")
    assert b'qrinfo_build_info{version="1.2.3"} 1.0' in text


def test_uptime_is_the_clocks_time_since_the_start() -> None:
    clock = FakeClock()
    metrics = Metrics(clock=clock)
    clock.now += 42
    assert metrics.uptime == 42
