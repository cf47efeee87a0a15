"""The groups of settings besides the gateways': Slack, the guardrails, Redis and logging.
Each is read from the environment under its own prefix; a field's variable is that prefix and
its name, uppercased (SLACK_BOT_TOKEN is the Slack group's bot_token), unless an alias names
it outright (PORT, QRINFO_METRICS_PORT).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bot.config.redis_url import RedisUrl
from bot.config.types import (
    ApiUrl,
    EmptyIsDefault,
    OptionalPort,
    Port,
    Seconds,
    Secret,
    SlackIds,
    slack_ids,
)
from bot.environment import ConfigError, FromEnvironment, variables
from bot.i18n import Language


class Group(FromEnvironment):
    """A group of settings, read from the environment under its prefix, then frozen."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )


class SlackSettings(Group):
    """How `serve` meets Slack: the app's credentials, the Web API, the ports it listens on.

    PORT and QRINFO_METRICS_PORT are here (by alias, as their names have no SLACK_ prefix):
    PORT is where Slack's requests arrive, and both are read by `serve` alone, as the rest of
    this group is (SERVE_ONLY).
    """

    model_config = SettingsConfigDict(env_prefix="SLACK_")

    bot_token: Secret = None
    signing_secret: Secret = None
    app_token: Secret = None
    api_url: ApiUrl = "https://slack.com/api/"
    # 0: any free port, logged when taken.
    port: Port = Field(default=3000, validation_alias="port")
    # /metrics on a port of its own (not on PORT, which may face the internet); None: on PORT.
    metrics_port: OptionalPort = Field(default=None, validation_alias="qrinfo_metrics_port")
    # The event loop `serve` runs on: uvloop (libuv: less CPU, faster acks; asyncio's own
    # where uvloop is not installed) or asyncio's.
    event_loop: Annotated[Literal["uvloop", "asyncio"], EmptyIsDefault] = Field(
        default="uvloop", validation_alias="qrinfo_event_loop"
    )

    def require(self, *fields: str) -> None:
        """Raise ConfigError naming the first of *fields* (this group's) that is unset."""
        by_field = {v.field: v for v in variables(type(self))}
        for field in fields:
            if getattr(self, field) is None:
                variable = by_field[field].name.upper()
                if by_field[field].from_file:
                    variable += f" (or {variable}_FILE)"
                raise ConfigError(f"{variable}: required to connect to Slack")


# What the group's secrets and URL hold, for "SLACK_BOT_TOKEN: expected ..." (errors.py).
SLACK_EXPECTED = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-…) from the app's OAuth page",
    "SLACK_SIGNING_SECRET": "the signing secret from the app's Basic Information page",
    "SLACK_APP_TOKEN": "an app-level token (xapp-…) with connections:write",
    "SLACK_API_URL": "an http:// or https:// URL such as https://slack.com/api/",
}


# Each allow-list's kind of Slack id: its name, the letters such ids start with, an example.
TeamIds = Annotated[SlackIds, slack_ids("team", "T", "T0123ABCD,T0456EFGH")]
EnterpriseIds = Annotated[SlackIds, slack_ids("Enterprise Grid org", "E", "E0123ABCD")]
ChannelIds = Annotated[SlackIds, slack_ids("channel", "CG", "C0123ABCD,G0456EFGH")]
UserIds = Annotated[SlackIds, slack_ids("user", "UW", "U0123ABCD,W0456EFGH")]
UsergroupIds = Annotated[SlackIds, slack_ids("user group", "S", "S0123ABCD,S0456EFGH")]
OperatorIds = Annotated[
    SlackIds, slack_ids("user or user group", "UWS", "U0123ABCD,S0456EFGH", empty="nobody")
]


class GuardSettings(Group):
    """Who may look up, how often, and how long answers are shared: the guardrails of lookups
    from Slack (a lookup from a terminal meets none of them: SLACK_ONLY). Id lists are
    comma-separated; empty means no restriction."""

    model_config = SettingsConfigDict(env_prefix="QRINFO_")

    allowed_teams: TeamIds = frozenset()
    allowed_enterprises: EnterpriseIds = frozenset()
    allowed_channels: ChannelIds = frozenset()
    allowed_users: UserIds = frozenset()
    allowed_usergroups: UsergroupIds = frozenset()
    # On-call: who may use /qrinfo status and Raw reply (user and user group ids; empty: nobody).
    operators: OperatorIds = frozenset()
    access_hint: str = Field(default="", max_length=200)  # e.g. #payments-support
    usergroup_cache_seconds: Annotated[Seconds, Field(ge=0, le=3600)] = 60.0
    user_rate: int = Field(default=30, ge=1, le=100_000)  # lookups a minute per user
    workspace_rate: int = Field(default=600, ge=1, le=1_000_000)  # a minute per team
    coalesce_seconds: Annotated[Seconds, Field(ge=0, le=300)] = 5.0


class RedisSettings(Group):
    """Several replicas: limits, identical lookups, the breaker and the token shared in Redis."""

    model_config = SettingsConfigDict(env_prefix="QRINFO_REDIS_")

    url: RedisUrl = None  # may hold a password
    prefix: str = Field(default="qrinfo", min_length=1, max_length=100)
    timeout: Annotated[Seconds, Field(gt=0, le=5)] = 0.25  # each Redis call, seconds


class LoggingSettings(Group):
    """What the bot writes and in which words: its log lines, the audit trail, the language."""

    model_config = SettingsConfigDict(env_prefix="QRINFO_")

    log_format: Annotated[Literal["text", "json"], EmptyIsDefault] = "text"
    audit_log: str = "-"  # "-" for stdout, or a file path, appended to
    # When a reader's Slack locale cannot be had, and for anything posted to a whole channel.
    language: Annotated[Language, EmptyIsDefault] = "en"
