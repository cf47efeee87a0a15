"""The composition root: turns Settings into the gateway client, the lookup service and the
Slack app, and runs `qrinfo serve`, `qrinfo demo`'s app and `qrinfo sandbox`.

Settings are read here and by the entry point (bot.cli) only: every layer below takes its
own plain configuration (GatewayConfig, Policy, Services) and the kit takes a built app.
"""

from bot.wiring.build import (
    DemoApp,
    SlackApp,
    build_gateway,
    build_gateways,
    build_services,
    build_slack_app,
    demo_app,
    fleet_store,
    gateway_config,
    new_gateway_http,
    run_sandbox,
    sandbox_faults,
)
from bot.wiring.serving import serve, tune_gc_for_bursts
from bot.wiring.state import health_report, live_state

__all__ = [
    "DemoApp",
    "SlackApp",
    "build_gateway",
    "build_gateways",
    "build_services",
    "build_slack_app",
    "demo_app",
    "fleet_store",
    "gateway_config",
    "health_report",
    "live_state",
    "new_gateway_http",
    "run_sandbox",
    "sandbox_faults",
    "serve",
    "tune_gc_for_bursts",
]
