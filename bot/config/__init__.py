"""Settings: every environment variable the bot reads, in groups, validated once at start.

``load_settings()`` reads them into :class:`Settings`: ``settings.gateway`` (CHINAUMS_*, the
default gateway and those beside it, and the breaker's QRINFO_BREAKER_*), ``settings.slack``
(SLACK_*, PORT, QRINFO_METRICS_PORT), ``settings.guard`` (who may look up, how often),
``settings.redis`` (QRINFO_REDIS_*) and ``settings.logging`` (QRINFO_LOG_FORMAT,
QRINFO_AUDIT_LOG, QRINFO_LANGUAGE). The entry point and the wiring read them; nothing below.

    types.py      the kinds of value (Secret, SlackIds, Seconds, Port, BaseUrl...), Annotated
    redis_url.py  what a Redis URL must look like
    groups.py     the Slack, guard, Redis and logging groups
    gateway.py    one gateway's settings, read under three prefixes, and their group
    errors.py     a bad value as one line naming its variable
    load.py       Settings, load_settings, what one-shot commands leave unread
"""

from bot.config.gateway import (
    GATEWAY_URLS,
    SECOND_GATEWAYS,
    GatewayGroup,
    GatewaySettings,
    SecondEnv,
)
from bot.config.groups import GuardSettings, LoggingSettings, RedisSettings, SlackSettings
from bot.config.load import (
    FILE_VARIABLES,
    SERVE_ONLY,
    SLACK_ONLY,
    VARIABLES,
    Settings,
    audit_log_setting,
    load_settings,
    log_format_setting,
)
from bot.config.redis_url import REDIS_URL_UNREADABLE
from bot.config.types import PORT_EXPECTED, parse_port
from bot.environment import ConfigError

__all__ = [  # what the entry point and the wiring use; ConfigError is what load_settings raises
    "FILE_VARIABLES",
    "GATEWAY_URLS",
    "PORT_EXPECTED",
    "REDIS_URL_UNREADABLE",
    "SECOND_GATEWAYS",
    "SERVE_ONLY",
    "SLACK_ONLY",
    "VARIABLES",
    "ConfigError",
    "GatewayGroup",
    "GatewaySettings",
    "GuardSettings",
    "LoggingSettings",
    "RedisSettings",
    "SecondEnv",
    "Settings",
    "SlackSettings",
    "audit_log_setting",
    "load_settings",
    "log_format_setting",
    "parse_port",
]
