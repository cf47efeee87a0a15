"""Loading the settings: each group read under its prefix, the caller's own values routed to
their group, and a bad value turned into one line naming its variable.

The entry point calls :func:`load_settings` and passes the result down; nothing below it reads
the environment.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config.errors import one_line
from bot.config.gateway import GATEWAY_PREFIXES, GatewayGroup, GatewaySettings
from bot.config.groups import (
    Group,
    GuardSettings,
    LoggingSettings,
    RedisSettings,
    SlackSettings,
)
from bot.environment import ConfigError, FromEnvironment, variables


class Settings(BaseModel):
    """The bot's configuration, by group: ``settings.gateway.timeout``,
    ``settings.slack.bot_token``, ``settings.guard.user_rate``, ``settings.redis.url``,
    ``settings.logging.language``."""

    model_config = ConfigDict(frozen=True)

    gateway: GatewayGroup
    slack: SlackSettings
    guard: GuardSettings
    redis: RedisSettings
    logging: LoggingSettings


# Where each setting is read: its place in Settings ("gateway.test": the test gateway's), its
# class, its prefix (None: the class's own). Read in this order; the first bad value stops
# the load.
_PLACES: tuple[tuple[str, type[Group], str | None], ...] = (
    *((f"gateway.{place}", GatewaySettings, prefix) for place, prefix in GATEWAY_PREFIXES.items()),
    ("gateway", GatewayGroup, None),
    ("slack", SlackSettings, None),
    ("guard", GuardSettings, None),
    ("logging", LoggingSettings, None),
    ("redis", RedisSettings, None),
)
# Each setting by its variable (lowercased): its place, its key there, its default.
_WHERE = {
    variable.name: (place, variable.key, cls.model_fields[variable.field].default)
    for place, cls, prefix in _PLACES
    for variable in variables(cls, prefix)
}
# Every variable a setting is read from, and the NAME_FILE ones secrets may come from.
VARIABLES: tuple[str, ...] = tuple(name.upper() for name in _WHERE)
FILE_VARIABLES: tuple[str, ...] = tuple(
    f"{variable.name}_file".upper()
    for _, cls, prefix in _PLACES
    for variable in variables(cls, prefix)
    if variable.from_file
)


def _names(cls: type[BaseSettings], *fields: str) -> frozenset[str]:
    """The variables (lowercased) of *cls*'s *fields*, or of all of them."""
    return frozenset(v.name for v in variables(cls) if not fields or v.field in fields)


# What only `serve` reads: a one-shot command (query, demo) checks only what it uses, so a
# PORT or SLACK_API_URL gone wrong does not stop a lookup from a terminal.
SERVE_ONLY = _names(SlackSettings) | _names(RedisSettings) | _names(LoggingSettings, "audit_log")
# ... and what a lookup from the terminal never meets: Slack's users, channels and limits.
SLACK_ONLY = SERVE_ONLY | _names(GuardSettings)


def _routed(unused: frozenset[str], overrides: dict[str, object]) -> dict[str, dict[str, Any]]:
    """The caller's values by place: *unused* settings at their defaults, *overrides* as given
    (keyed by variable, lowercased, as load_settings takes them)."""
    unknown = sorted((unused | overrides.keys()) - _WHERE.keys())
    if unknown:
        raise TypeError(f"no such setting: {', '.join(unknown)}")
    routed: dict[str, dict[str, Any]] = {place: {} for place, _, _ in _PLACES}
    for name in unused:
        place, key, default = _WHERE[name]
        routed[place][key] = default
    for name, value in overrides.items():
        place, key, _ = _WHERE[name]
        routed[place][key] = value
    return routed


G = TypeVar("G", bound=Group)


def _read(cls: type[G], given: dict[str, Any], prefix: str | None = None) -> G:
    """*cls* read under *prefix* (None: its own), with the caller's *given* values."""
    try:
        return cls(_env_prefix=prefix, **given)
    except ValidationError as exc:
        raise ConfigError(one_line(exc, cls, prefix)) from None


def load_settings(*, unused: frozenset[str] = frozenset(), **overrides: object) -> Settings:
    """Read the environment (plus *overrides*, for tests) into Settings; the settings named
    in *unused* keep their defaults, their variables not read at all. Both are keyed by the
    variable, lowercased (chinaums_timeout=0.3), whatever group the setting is in.

    Raises ConfigError with one line naming the first bad variable.
    """
    given = _routed(unused, overrides)
    gateways = {
        place: _read(GatewaySettings, given[f"gateway.{place}"], prefix)
        for place, prefix in GATEWAY_PREFIXES.items()
    }
    return Settings(
        gateway=_read(GatewayGroup, given["gateway"] | gateways),
        slack=_read(SlackSettings, given["slack"]),
        guard=_read(GuardSettings, given["guard"]),
        logging=_read(LoggingSettings, given["logging"]),
        redis=_read(RedisSettings, given["redis"]),
    )


class _AuditLogOnly(FromEnvironment):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_prefix="QRINFO_")

    audit_log: str = LoggingSettings.model_fields["audit_log"].default


def audit_log_setting() -> str:
    """QRINFO_AUDIT_LOG alone, for `qrinfo audit`: reading the trail needs no other setting."""
    return _AuditLogOnly().audit_log


class _LogFormatOnly(FromEnvironment):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_prefix="QRINFO_")

    log_format: str = LoggingSettings.model_fields["log_format"].default


def log_format_setting() -> Literal["text", "json"]:
    """QRINFO_LOG_FORMAT alone, known before the other settings so that their errors come
    out in it too. As strict as Settings: anything but json (JSON too) is text here, and the
    full load says what is wrong with it."""
    try:
        return "json" if _LogFormatOnly().log_format == "json" else "text"
    except ConfigError:  # a control character in it: the full load says so, as text
        return "text"
