"""The groups of settings besides the gateways' (bot/config/groups.py): Slack, the guard,
Redis and logging, each under its prefix, and what `serve` requires of Slack's."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.config import ConfigError, load_settings
from bot.config.groups import GuardSettings, LoggingSettings, RedisSettings, SlackSettings


def test_serve_without_a_bot_token_names_the_file_variable_too() -> None:
    """The message for a missing secret says it may come from a file."""
    with pytest.raises(
        ConfigError, match=r"^SLACK_BOT_TOKEN \(or SLACK_BOT_TOKEN_FILE\): required"
    ):
        load_settings().slack.require("bot_token")


def test_require_passes_when_the_fields_are_set_and_names_the_first_unset() -> None:
    slack = SlackSettings(bot_token=SecretStr("xoxb-1"))
    slack.require("bot_token")
    with pytest.raises(ConfigError, match=r"^SLACK_APP_TOKEN \(or SLACK_APP_TOKEN_FILE\)"):
        slack.require("bot_token", "app_token", "signing_secret")


def test_each_group_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("QRINFO_METRICS_PORT", "9100")
    monkeypatch.setenv("QRINFO_OPERATORS", "U0123ABCD,S0456EFGH")
    monkeypatch.setenv("QRINFO_REDIS_PREFIX", "bot-a")
    monkeypatch.setenv("QRINFO_LOG_FORMAT", "json")
    slack = SlackSettings()
    assert slack.api_url == "http://127.0.0.1:9/api/"
    assert (slack.metrics_port, slack.port) == (9100, 3000)
    assert GuardSettings().operators == {"U0123ABCD", "S0456EFGH"}
    assert RedisSettings().prefix == "bot-a"
    assert LoggingSettings().log_format == "json"


def test_operators_take_users_and_user_groups_but_not_channels() -> None:
    expected = r"^QRINFO_OPERATORS: .*; id 2 of 2 is not a user or user group id$"
    with pytest.raises(ConfigError, match=expected):
        load_settings(qrinfo_operators="U0123ABCD,C0123ABCD")


def test_groups_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.guard.user_rate = 1  # type: ignore[misc]  # what the test checks


def test_an_empty_language_or_log_format_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRINFO_LANGUAGE", "")
    monkeypatch.setenv("QRINFO_LOG_FORMAT", "")
    logging = LoggingSettings()
    assert (logging.language, logging.log_format, logging.audit_log) == ("en", "text", "-")
