"""What /healthz and /metrics say (bot/wiring/state.py), read from the live services: each
gateway's breaker and calls, the work in flight, the audit trail, the shared state."""

from __future__ import annotations

from pathlib import Path

from bot.service.audit import AuditLog
from bot.wiring import health_report, live_state
from tests.service.helpers import sandbox_services

PROD = {"chinaums_prod_app_id": "prod-id", "chinaums_prod_app_key": "prod-key"}


async def test_live_state_reads_each_gateway_the_default_first() -> None:
    async with sandbox_services(**PROD, chinaums_prod_auth="token") as services:
        live = live_state(services)
    assert live.lookups_in_flight == 0
    assert [(g.env, g.breaker, g.calls_in_flight) for g in live.gateways] == [
        ("sandbox", "closed", 0),
        ("prod", "closed", 0),
    ]
    sandbox, prod = live.gateways
    assert sandbox.token_requests == {}  # body-sig: no token
    assert prod.token_expires_in is None  # token auth, none taken yet
    assert (live.audit_lines_lost, live.fleet_state) == (0, None)


async def test_health_says_the_mode_draining_and_the_default_gateways_breaker() -> None:
    async with sandbox_services(**PROD) as services:
        report = health_report(services, mode="http", draining=True)
    assert {k: report[k] for k in ("ok", "mode", "gateway", "draining")} == {
        "ok": True,
        "mode": "http",
        "gateway": "sandbox",
        "draining": True,
    }
    assert (report["gateway_circuit"], report["gateway_failing_since"]) == ("closed", None)
    assert set(report["gateways"]) == {"sandbox", "prod"}
    assert report["gateways"]["prod"]["circuit"] == "closed"
    assert (report["audit"], report["shared_state"]) == (None, None)


async def test_health_and_metrics_show_the_audit_trail_when_there_is_one(tmp_path: Path) -> None:
    async with sandbox_services() as services:
        services.audit = AuditLog(str(tmp_path / "audit.jsonl"))
        try:
            report = health_report(services, mode="socket", draining=False)
            live = live_state(services)
        finally:
            services.audit.close()
    assert report["audit"]["lines_lost"] == 0
    assert live.audit_lines_lost == 0
