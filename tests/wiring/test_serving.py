"""`qrinfo serve`'s own logic (bot/wiring/serving.py): the time budgets a stop is sized from,
the gateways it names at start, Redis checked before Slack, SIGHUP, /metrics' place, what it
leaves unloaded at start (in a fresh interpreter); nothing here listens or starts the bot."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.config import REDIS_URL_UNREADABLE, load_settings
from bot.service.audit import STDOUT
from bot.service.fleet import WAIT_MARGIN_SECONDS
from bot.slack.listeners.listening import GROUP_READ_SECONDS
from bot.slack.serving.http_server import HANDLING_SECONDS, HTTP_CLOSE_SECONDS
from bot.slack.serving.startup import StartupError
from bot.slack.webapi.pool import REPLY_TIMEOUT_SECONDS
from bot.wiring import serving, tune_gc_for_bursts
from bot.wiring.serving import gateways_named, longest_stop_seconds, lookup_budget_seconds
from tests.service.helpers import sandbox_services


def test_a_lookups_budget_is_a_group_read_two_gateway_calls_a_margin_and_a_reply() -> None:
    assert lookup_budget_seconds(8.0) == (
        GROUP_READ_SECONDS + 8.0 + WAIT_MARGIN_SECONDS + 8.0 + REPLY_TIMEOUT_SECONDS
    )


def test_the_longest_stop_adds_the_acks_the_close_and_the_audit_flush() -> None:
    extra = longest_stop_seconds(8.0) - lookup_budget_seconds(8.0)
    assert extra > HANDLING_SECONDS + HTTP_CLOSE_SECONDS
    assert longest_stop_seconds(60.0) - longest_stop_seconds(8.0) == 2 * 52.0


def test_the_in_process_sandbox_is_named_as_such() -> None:
    assert gateways_named(load_settings()) == (
        "the sandbox gateway at the built-in sandbox, in this process"
    )


def test_several_gateways_are_named_by_origin_only_the_default_first() -> None:
    settings = load_settings(
        chinaums_env="test",
        chinaums_app_id="id",
        chinaums_app_key="key",
        chinaums_base_url="https://gw.example:8443/some/path",
        chinaums_prod_app_id="prod-id",
        chinaums_prod_app_key="prod-key",
    )
    assert gateways_named(settings) == (
        "the test gateway at https://gw.example:8443 (the default) and "
        "the prod gateway at https://api-mop.chinaums.com"
    )


async def test_no_redis_url_means_no_store_at_start() -> None:
    assert await serving._fleet_store_at_start(load_settings()) is None


async def test_a_redis_that_does_not_answer_stops_the_start_naming_the_setting() -> None:
    settings = load_settings(qrinfo_redis_url="redis://:hunter2@127.0.0.1:1/0")
    with pytest.raises(StartupError) as caught:
        await serving._fleet_store_at_start(settings)
    assert str(caught.value).startswith("QRINFO_REDIS_URL: ")
    assert "hunter2" not in str(caught.value)


async def test_a_url_redis_py_cannot_read_is_refused_without_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(settings: object) -> None:
        raise ValueError("Port could not be cast to integer value as 'hunter2'")

    monkeypatch.setattr(serving, "fleet_store", unreadable)
    with pytest.raises(StartupError) as caught:
        await serving._fleet_store_at_start(load_settings())
    assert str(caught.value) == f"QRINFO_REDIS_URL: {REDIS_URL_UNREADABLE}"


class Audit:
    def __init__(self, destination: str) -> None:
        self.destination = destination
        self.reopened = 0

    def reopen(self) -> None:
        self.reopened += 1


def test_sighup_reopens_an_audit_file_and_only_logs_for_stdout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    to_file, to_stdout = Audit("/var/log/qrinfo.jsonl"), Audit(STDOUT)
    with caplog.at_level(logging.WARNING, logger="bot.wiring.serving"):
        serving._reopen_audit(to_file)  # type: ignore[arg-type]  # what it uses of an AuditLog
        serving._reopen_audit(to_stdout)  # type: ignore[arg-type]
    assert (to_file.reopened, to_stdout.reopened) == (1, 0)
    assert "nothing to reopen" in caplog.records[-1].getMessage()


async def test_metrics_are_served_on_the_serving_port_unless_a_port_of_their_own_is_set() -> None:
    async with (
        sandbox_services() as services,
        serving._metrics_where_asked(load_settings(), services, "127.0.0.1") as scrape,
    ):
        assert scrape == services.metrics.exposition


@pytest.fixture
def gc_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("gc_restored")
def test_gc_is_tuned_for_bursts_after_start_up() -> None:
    tune_gc_for_bursts()
    assert gc.get_threshold()[0] == 50_000
    assert gc.get_freeze_count() > 0


# Loaded where they are used, never at serve's start: redis-py when QRINFO_REDIS_URL is set
# (a FleetStore; about 10 MB of RSS), segno when a QR code is drawn, Socket Mode's clients
# (slack_sdk's and Bolt's adapter: 24 modules, about 0.2 MB) when serving in Socket Mode;
# httpx's command-line client and what it pulls in (about 5 MB when installed), never.
LOADED_WHEN_USED = (
    "httpx._main",
    "rich",
    "click",
    "pygments",
    "redis",
    "segno",
    "slack_sdk.socket_mode",
    "slack_bolt.adapter.socket_mode",
    "bot.slack.serving.socket_mode",
)


def test_serve_starts_without_the_packages_it_loads_when_used() -> None:
    """Importing what `qrinfo serve` runs (a fresh interpreter) loads neither redis-py,
    segno nor Socket Mode's clients (each is imported by the code that uses it), nor httpx's
    command-line client (rich, click and pygments are installed here, by the dev tools)."""
    code = (
        "import sys, bot.cli, bot.wiring.serving, bot.wiring.build; "
        "print(*sorted(name for name, module in sys.modules.items() if module is not None))"
    )
    done = subprocess.run(  # noqa: S603  # our own interpreter, a fixed program
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(done.stdout.split())
    assert "bot" in loaded
    early = {name for name in loaded for used in LOADED_WHEN_USED if _within(name, used)}
    assert sorted(early) == []


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")
