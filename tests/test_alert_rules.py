"""The Prometheus alert rules (ops/alerts.yml) load, pass their promtool unit tests, tell
on-call what to check first, and watch only metrics the bot exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

OPS = Path(__file__).parent.parent / "ops"
RULES = OPS / "alerts.yml"
RULE_TESTS = OPS / "alerts.test.yml"

COUNTERS_AND_GAUGES = {
    "qrinfo_lookups_total",
    "qrinfo_gateway_rejections_total",
    "qrinfo_lookups_in_flight",
    "qrinfo_gateway_calls_in_flight",
    "qrinfo_gateway_circuit_state",
    "qrinfo_gateway_token_requests_total",
    "qrinfo_gateway_token_expires_in_seconds",
    "qrinfo_refusals_total",
    "qrinfo_slack_replies_failed_total",
    "qrinfo_audit_lines_lost_total",
    "qrinfo_build_info",
    "qrinfo_redis_up",
    # prometheus_client's process collector
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
}
HISTOGRAMS = {
    "qrinfo_lookup_duration_seconds",
    "qrinfo_gateway_call_duration_seconds",
    "qrinfo_ack_duration_seconds",
}
EXPORTED = (
    COUNTERS_AND_GAUGES
    | HISTOGRAMS
    | {f"{name}{suffix}" for name in HISTOGRAMS for suffix in ("_bucket", "_count", "_sum")}
)
REQUIRED_ALERTS = {
    "QrinfoGatewayCircuitOpen",
    "QrinfoLookupsUnavailable",
    "QrinfoGatewaySlow",
    "QrinfoSlackRefusingReplies",
    "QrinfoAcksSlow",
    "QrinfoAuditTrailLosingLines",
    "QrinfoGatewayMisconfigured",
}
PROMQL_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "bool", "offset"}
PROMTOOL_MISSING = "promtool not installed: apt-get install prometheus; .ci/run installs it"


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text("utf-8"))
    [group] = data["groups"]
    assert group["name"] == "qrinfo"
    found: list[dict[str, Any]] = group["rules"]
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: what is left once strings, label
    matchers, grouping clauses, ranges, offsets, function calls and operators are gone."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\boffset\s+\S+", " ", text)
    names = set(re.findall(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", text))
    return names - PROMQL_KEYWORDS


def run_promtool(*args: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(PROMTOOL_MISSING)
    done = subprocess.run(  # noqa: S603  # promtool from PATH, on our own files
        [promtool, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"promtool {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    )


def test_promtool_accepts_the_rule_file() -> None:
    """`promtool check rules`: the file parses and every expression is valid PromQL."""
    run_promtool("check", "rules", str(RULES))


def test_promtool_unit_tests_fire_and_stay_quiet_where_expected() -> None:
    """`promtool test rules`: each alert fires on its input series, and the quiet cases
    (no traffic, a fast gateway, a short pause) stay quiet."""
    run_promtool("test", "rules", str(RULE_TESTS))


def test_every_required_alert_is_defined_once() -> None:
    names = [rule.get("alert") for rule in rules()]
    assert len(names) == len(set(names)), names
    assert set(names) >= REQUIRED_ALERTS, REQUIRED_ALERTS - set(names)


def test_every_alert_has_a_duration_a_severity_and_a_one_line_first_check() -> None:
    """for, severity page or ticket, a summary and a description of exactly one line."""
    for rule in rules():
        name = rule.get("alert")
        assert name, f"not an alert rule: {rule}"
        assert str(rule.get("expr", "")).strip(), name
        assert re.fullmatch(r"\d+[smhdwy]", str(rule.get("for", ""))), name
        assert rule.get("labels", {}).get("severity") in {"page", "ticket"}, name
        annotations = rule.get("annotations", {})
        assert str(annotations.get("summary", "")).strip(), name
        description = str(annotations.get("description", ""))
        assert description.strip(), name
        assert "\n" not in description.strip(), f"{name}: description is more than one line"


def test_expressions_select_only_metrics_the_bot_exports() -> None:
    """A misspelt metric never matches anything, so the alert could never fire."""
    for rule in rules():
        used = metric_names(rule["expr"])
        assert used, f"{rule['alert']}: no metric found in {rule['expr']!r}"
        assert used <= EXPORTED, f"{rule['alert']}: unknown metrics {used - EXPORTED}"


def test_descriptions_name_only_metrics_the_bot_exports() -> None:
    for rule in rules():
        text = rule["annotations"]["description"] + rule["annotations"]["summary"]
        named = set(re.findall(r"\b(?:qrinfo|process)_[a-z_]+", text))
        assert named <= EXPORTED, f"{rule['alert']}: unknown metrics {named - EXPORTED}"


def test_the_metric_name_reader_sees_through_promql() -> None:
    """The reader the check above relies on: functions, labels, offsets and numbers are
    not metrics; suffixed histogram series are."""
    expr = (
        'histogram_quantile(0.95, sum by (job, le) (rate(a_bucket{outcome!~"busy|x"}[5m]))) > 3'
        " and max by (instance) (max_over_time(b[2m])) == 2"
        ' or sum(c{o="m"} > 0 unless c offset 5m) or d:ratio > bool 1e3'
    )
    assert metric_names(expr) == {"a_bucket", "b", "c", "d:ratio"}
