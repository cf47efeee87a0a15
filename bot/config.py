"""Settings: every environment variable the bot reads, validated once at start.

The entry point calls :func:`load_settings` and passes the result down; nothing
below it reads the environment.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    NoDecode,
    SettingsConfigDict,
)

from bot.environment import (
    BLANK_CATEGORIES,
    EXACT,
    FROM_FILE,
    ConfigError,
    FromEnvironment,
    variables,
)
from bot.gateway.config import AuthScheme, Environment
from bot.i18n import Language

__all__ = [  # what the entry point and the wiring use; ConfigError is what load_settings raises
    "GATEWAY_URLS",
    "PORT_EXPECTED",
    "REDIS_URL_UNREADABLE",
    "SECOND_GATEWAYS",
    "SERVE_ONLY",
    "SLACK_ONLY",
    "ConfigError",
    "SecondEnv",
    "SecondGateway",
    "Settings",
    "audit_log_setting",
    "load_settings",
    "log_format_setting",
    "parse_port",
]

GATEWAY_URLS: dict[str, str] = {
    "prod": "https://api-mop.chinaums.com",
    "test": "https://test-api-open.chinaums.com",
    # `qrinfo sandbox` listens here by default; with no CHINAUMS_BASE_URL the
    # entry points run the sandbox in-process instead of dialling this.
    "sandbox": "http://127.0.0.1:8700",
}

# Read from a comma-separated string (NoDecode: not as JSON, pydantic-settings' default).
IdList = Annotated[frozenset[str], NoDecode]
# Taken exactly as the provider issued it: no spaces or quotes around.
AppId = Annotated[str | None, EXACT]
# A key, token or secret (exact too), which NAME_FILE may give.
Secret = Annotated[SecretStr | None, FROM_FILE]
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,30}")
# Each allow-list: the kind of Slack id it holds, the letters such ids start with, an example.
_ID_KINDS: dict[str, tuple[str, str, str]] = {
    "qrinfo_allowed_teams": ("team", "T", "T0123ABCD,T0456EFGH"),
    "qrinfo_allowed_enterprises": ("Enterprise Grid org", "E", "E0123ABCD"),
    "qrinfo_allowed_channels": ("channel", "CG", "C0123ABCD,G0456EFGH"),
    "qrinfo_allowed_users": ("user", "UW", "U0123ABCD,W0456EFGH"),
    "qrinfo_allowed_usergroups": ("user group", "S", "S0123ABCD,S0456EFGH"),
    "qrinfo_operators": ("user or user group", "UWS", "U0123ABCD,S0456EFGH"),
}
_URL_EXAMPLES = {
    "chinaums_base_url": "https://test-api-open.chinaums.com",
    "chinaums_test_base_url": "https://test-api-open.chinaums.com",
    "chinaums_prod_base_url": "https://api-mop.chinaums.com",
    "slack_api_url": "https://slack.com/api/",
}


_WHAT = {
    "slack_bot_token": "the bot token (xoxb-…) from the app's OAuth page",
    "slack_signing_secret": "the signing secret from the app's Basic Information page",
    "slack_app_token": "an app-level token (xapp-…) with connections:write",
    "chinaums_app_id": "the developer id from the provider",
    "chinaums_app_key": "the developer key from the provider",
    "chinaums_test_app_id": "the developer id for the provider's test environment",
    "chinaums_test_app_key": "the developer key for the provider's test environment",
    "chinaums_prod_app_id": "the developer id for the provider's production",
    "chinaums_prod_app_key": "the developer key for the provider's production",
}
# The environments a second gateway may serve, beside the default one (CHINAUMS_ENV).
SecondEnv = Literal["test", "prod"]
SECOND_GATEWAYS: tuple[SecondEnv, ...] = get_args(SecondEnv)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecondGateway:
    """A gateway beside the default one, as its settings say (None: not set)."""

    base_url: str | None
    app_id: str | None
    app_key: SecretStr | None
    auth: AuthScheme


# Never a part of the URL: what did not parse there is often a piece of the password.
REDIS_URL_UNREADABLE = (
    "not a URL whose host, port, database, socket path and ?options can be read; a password "
    "holding / # ? @ & or % must be percent-encoded (/ as %2F, # as %23, ? as %3F, @ as %40, "
    "& as %26, % as %25), such as redis://:s%2F3cret@redis:6379/0"
)
# The ?options redis-py takes in a URL (anything else reaches its connection as an unknown
# argument, and fails there with a traceback naming it: perhaps a piece of a password).
_REDIS_URL_OPTIONS = frozenset(
    {
        "db",
        "password",
        "username",
        "client_name",
        "protocol",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "ssl_cert_reqs",
        "ssl_ca_certs",
        "ssl_ca_path",
        "ssl_certfile",
        "ssl_keyfile",
        "ssl_check_hostname",
        "ssl_min_version",
    }
)


_CERT_REQS = frozenset({"none", "optional", "required"})


def _redis_url_reads(url: str) -> bool:
    """Whether a redis://, rediss:// or unix:// URL parses into its parts as redis-py will
    read them (a password's unencoded "/", "#" or "?" moves the rest elsewhere)."""
    parts = urlsplit(url)
    options = parse_qs(parts.query, keep_blank_values=True)
    if parts.fragment or not set(options) <= _REDIS_URL_OPTIONS:
        return False
    tls = {name for name in options if name.startswith("ssl_")}
    if tls and parts.scheme != "rediss":  # redis-py takes them with TLS only
        return False
    if not {value.lower() for value in options.get("ssl_cert_reqs", [])} <= _CERT_REQS:
        return False
    if parts.scheme == "unix":  # unix://[[user]:password@]/path/to/redis.sock[?db=0]
        return parts.path.startswith("/") and "@" not in parts.path
    try:
        port = parts.port
    except ValueError:  # ":p@ss" read as a port
        return False
    database = parts.path.removeprefix("/")
    return (
        bool(parts.hostname)
        and (port is None or 1 <= port <= 65535)
        and (not database or (database.isascii() and database.isdigit()))
    )


PORT_EXPECTED = "a port number 1-65535, or 0 for any free port, such as 3000"


def parse_port(text: str) -> int:
    """PORT and --port alike: ASCII digits only (not "３０００", "²", "1_000" or " 80 ")."""
    port = int(text) if text.isascii() and text.isdigit() else -1
    if not 0 <= port <= 65535:
        raise ValueError(f"expected {PORT_EXPECTED}; got {text!r}")
    return port


def _origin(url: str | None) -> tuple[str, str, int] | None:
    """Scheme, host and port as httpx dials them (HTTP://127.0.0.1:08700 is :8700 too)."""
    if url is None:
        return None
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme, parsed.host, port


class Settings(FromEnvironment):
    """The bot's configuration. Field names are the environment variables, lowercased."""

    model_config = SettingsConfigDict(
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    chinaums_env: Environment = "sandbox"
    chinaums_base_url: str | None = None
    chinaums_app_id: AppId = None
    chinaums_app_key: Secret = None
    chinaums_auth: AuthScheme = "body-sig"
    chinaums_system_id: str | None = Field(default=None, max_length=32)
    chinaums_src_reserve: str | None = Field(default=None, max_length=255)
    chinaums_timeout: float = Field(default=8.0, gt=0, le=60)
    chinaums_max_in_flight: int = Field(default=512, ge=1, le=4096)
    # A gateway beside the default one, for the environment CHINAUMS_ENV does not name
    # (timeouts, caps, the breaker's settings, systemId and srcReserve are the default's).
    chinaums_test_base_url: str | None = None
    chinaums_test_app_id: AppId = None
    chinaums_test_app_key: Secret = None
    chinaums_test_auth: AuthScheme = "body-sig"
    chinaums_prod_base_url: str | None = None
    chinaums_prod_app_id: AppId = None
    chinaums_prod_app_key: Secret = None
    chinaums_prod_auth: AuthScheme = "body-sig"

    slack_bot_token: Secret = None
    slack_signing_secret: Secret = None
    slack_app_token: Secret = None
    slack_api_url: str = "https://slack.com/api/"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port, logged when taken
    # /metrics on a port of its own (not on PORT, which may face the internet); None: on PORT.
    qrinfo_metrics_port: int | None = Field(default=None, ge=0, le=65535)

    # Guardrails. Id lists are comma-separated; empty means no restriction.
    qrinfo_allowed_teams: IdList = frozenset()
    qrinfo_allowed_enterprises: IdList = frozenset()
    qrinfo_allowed_channels: IdList = frozenset()
    qrinfo_allowed_users: IdList = frozenset()
    qrinfo_allowed_usergroups: IdList = frozenset()
    qrinfo_access_hint: str = Field(default="", max_length=200)  # e.g. #payments-support
    qrinfo_usergroup_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    qrinfo_user_rate: int = Field(default=30, ge=1, le=100_000)  # lookups a minute per user
    qrinfo_workspace_rate: int = Field(default=600, ge=1, le=1_000_000)  # a minute per team
    qrinfo_coalesce_seconds: float = Field(default=5.0, ge=0, le=300)
    qrinfo_audit_log: str = "-"  # "-" for stdout, or a file path, appended to
    # When a reader's Slack locale cannot be had, and for anything posted to a whole channel.
    qrinfo_language: Language = "en"
    qrinfo_breaker_failures: int = Field(default=5, ge=1, le=1000)
    qrinfo_breaker_cooldown: float = Field(default=30.0, gt=0, le=3600)
    # On-call: who may use /qrinfo status and Raw reply (user and user group ids; empty: nobody).
    qrinfo_operators: IdList = frozenset()
    qrinfo_log_format: Literal["text", "json"] = "text"
    # Several replicas: limits, identical lookups, the breaker and the token shared in Redis.
    qrinfo_redis_url: Secret = None  # may hold a password
    qrinfo_redis_prefix: str = Field(default="qrinfo", min_length=1, max_length=100)
    qrinfo_redis_timeout: float = Field(default=0.25, gt=0, le=5)  # each Redis call, seconds

    @field_validator(*_ID_KINDS, mode="before")
    @classmethod
    def _split_ids(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            kind, initials, example = _ID_KINDS[str(info.field_name)]
            ids = [i for i in (part.strip() for part in value.replace(";", ",").split(",")) if i]
            if value and not ids:  # ",", "   ": a list gone wrong, not "no restriction"
                empty = "nobody" if info.field_name == "qrinfo_operators" else "no restriction"
                raise ValueError(
                    f"expected comma-separated Slack {kind} ids such as {example}, got no id "
                    f"(leave it empty for {empty})"
                )
            for i in ids:
                if not (_SLACK_ID.fullmatch(i) and i[0] in initials):
                    raise ValueError(
                        f"expected comma-separated Slack {kind} ids such as {example}, got {i!r}"
                    )
            return frozenset(ids)
        return value

    @field_validator(
        "chinaums_base_url", "chinaums_test_base_url", "chinaums_prod_base_url", "slack_api_url"
    )
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value == "":
            return None
        # Parsed as httpx will parse it, so a URL that passes here is one it can dial.
        expected = (
            f"expected an http:// or https:// URL such as {_URL_EXAMPLES[str(info.field_name)]}"
        )
        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            # Its kind only ("Invalid port"): what was typed there may be a pasted secret.
            raise ValueError(f"{expected} ({str(exc).partition(':')[0]})") from None
        if url.scheme not in {"http", "https"} or not url.host:
            raise ValueError(expected)
        if "%" in url.host:  # "[secret" read as a host name, percent-encoded: no host at all
            raise ValueError(f"{expected} (not a host name)")
        if url.port is not None and not 1 <= url.port <= 65535:
            raise ValueError(f"{expected} (the port must be 1-65535, got {url.port})")
        if url.userinfo:
            raise ValueError(f"{expected}, without user:password@")
        if url.query or url.fragment:
            raise ValueError(f"{expected}, without ?query or #fragment")
        return value

    @field_validator("chinaums_base_url", "chinaums_test_base_url", "chinaums_prod_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str | None) -> str:
        # slack_sdk joins method names onto this base: it must end with a slash.
        return (value or "https://slack.com/api/").rstrip("/") + "/"

    @field_validator("port", "qrinfo_metrics_port", mode="before")
    @classmethod
    def _port_as_typed(cls, value: object, info: ValidationInfo) -> object:
        # PORT= (set but empty) means what unset means, as for every other variable.
        if value == "":
            return cls.model_fields[str(info.field_name)].default
        return parse_port(value) if isinstance(value, str) else value

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "chinaums_app_id",
        "chinaums_app_key",
        "chinaums_test_app_id",
        "chinaums_test_app_key",
        "chinaums_prod_app_id",
        "chinaums_prod_app_key",
        mode="before",
    )
    @classmethod
    def _not_only_blanks(cls, value: object, info: ValidationInfo) -> object:
        # Empty means unset; blanks (spaces, zero-width characters) are a paste gone wrong,
        # and would fail every request later with a far less clear message.
        if not isinstance(value, str) or not value:
            return value or None
        if not "".join(c for c in value if unicodedata.category(c) not in BLANK_CATEGORIES):
            raise ValueError(f"expected {_WHAT[str(info.field_name)]}, got only blank characters")
        return value

    @field_validator(
        "chinaums_timeout",
        "qrinfo_usergroup_cache_seconds",
        "qrinfo_coalesce_seconds",
        "qrinfo_breaker_cooldown",
        mode="before",
    )
    @classmethod
    def _finite_seconds(cls, value: object, info: ValidationInfo) -> object:
        # nan and inf pass float parsing and fail the range check with a puzzling message.
        try:
            finite = not isinstance(value, str | float) or math.isfinite(float(value))
        except ValueError:
            return value  # not a number at all: pydantic says so
        if not finite:
            field = cls.model_fields[str(info.field_name)]
            span = "-".join(
                f"{getattr(limit, bound):g}"
                for limit in field.metadata
                for bound in ("gt", "ge", "lt", "le")
                if hasattr(limit, bound)
            )
            raise ValueError(f"expected a finite number of seconds ({span}), got {value}")
        return value

    @field_validator("qrinfo_redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        scheme = value.get_secret_value().partition("://")[0].lower()
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                "expected a redis://, rediss:// or unix:// URL such as redis://redis:6379/0"
            )
        if not _redis_url_reads(value.get_secret_value()):
            raise ValueError(REDIS_URL_UNREADABLE)
        return value

    @field_validator(
        "chinaums_env",
        "chinaums_auth",
        "chinaums_test_auth",
        "chinaums_prod_auth",
        "qrinfo_language",
        "qrinfo_log_format",
        mode="before",
    )
    @classmethod
    def _empty_is_the_default(cls, value: object, info: ValidationInfo) -> object:
        # CHINAUMS_ENV= (set but empty) means what unset means, as for every other variable.
        if isinstance(value, str) and not value:
            return cls.model_fields[str(info.field_name)].default
        return value

    @field_validator(
        "chinaums_app_id",
        "chinaums_test_app_id",
        "chinaums_prod_app_id",
        "chinaums_system_id",
        "chinaums_src_reserve",
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    # Whether CHINAUMS_ENV was set (not empty): `serve` answers people from the sandbox only
    # when asked to by name.
    _env_chosen: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _note_env_chosen(cls, data: Any, handler: ModelWrapValidatorHandler[Settings]) -> Settings:
        settings = handler(data)
        settings._env_chosen = isinstance(data, dict) and bool(data.get("chinaums_env"))
        return settings

    @property
    def env_chosen(self) -> bool:
        """True when CHINAUMS_ENV names the default gateway's environment, rather than the
        sandbox standing in by default."""
        return self._env_chosen

    @model_validator(mode="after")
    def _credentials_outside_sandbox(self) -> Settings:
        if self.chinaums_env != "sandbox":
            if not self.chinaums_app_id:
                raise ValueError(f"CHINAUMS_APP_ID: required when CHINAUMS_ENV={self.chinaums_env}")
            if self.chinaums_app_key is None or not self.chinaums_app_key.get_secret_value():
                raise ValueError(
                    f"CHINAUMS_APP_KEY: required when CHINAUMS_ENV={self.chinaums_env}"
                )
        for env in SECOND_GATEWAYS:
            self._check_second_gateway(env)
        return self

    def _check_second_gateway(self, env: SecondEnv) -> None:
        second = self.second_gateway(env)
        prefix = f"CHINAUMS_{env.upper()}_"
        given = [
            prefix + name
            for name, value in (
                ("APP_ID", second.app_id),
                ("APP_KEY", second.app_key),
                ("BASE_URL", second.base_url),
                ("AUTH", second.auth if second.auth != "body-sig" else None),  # not the default
            )
            if value is not None
        ]
        if not given:
            return
        if env == self.chinaums_env:
            raise ValueError(
                f"{given[0]}: the default gateway is already the {env} environment "
                f"(CHINAUMS_ENV={env}); its settings are CHINAUMS_APP_ID, CHINAUMS_APP_KEY "
                f"and CHINAUMS_BASE_URL, or set CHINAUMS_ENV to another environment"
            )
        for name in (prefix + "APP_ID", prefix + "APP_KEY"):
            if name not in given:
                raise ValueError(f"{name}: required when {given[0]} is set")
        if self.uses_inprocess_sandbox and _origin(second.base_url) == _origin(self.gateway_url):
            raise ValueError(
                f"{prefix}BASE_URL: {second.base_url} is where the built-in sandbox answers "
                "inside this process (CHINAUMS_ENV=sandbox, no CHINAUMS_BASE_URL); for "
                f"`qrinfo sandbox` there, set CHINAUMS_BASE_URL={second.base_url} as well"
            )

    def second_gateway(self, env: SecondEnv) -> SecondGateway:
        """What CHINAUMS_TEST_* (or CHINAUMS_PROD_*) say of a gateway beside the default."""
        if env == "test":
            return SecondGateway(
                base_url=self.chinaums_test_base_url,
                app_id=self.chinaums_test_app_id,
                app_key=self.chinaums_test_app_key,
                auth=self.chinaums_test_auth,
            )
        return SecondGateway(
            base_url=self.chinaums_prod_base_url,
            app_id=self.chinaums_prod_app_id,
            app_key=self.chinaums_prod_app_key,
            auth=self.chinaums_prod_auth,
        )

    def second_gateways(self) -> dict[SecondEnv, SecondGateway]:
        """The gateways configured beside the default one, by environment (checked at load:
        each has its appId and key)."""
        seconds = {env: self.second_gateway(env) for env in SECOND_GATEWAYS}
        return {env: second for env, second in seconds.items() if second.app_id is not None}

    @staticmethod
    def gateway_settings_for(env: str) -> tuple[str, ...]:
        """The settings that configure a second gateway for *env* (none for the sandbox:
        only the default gateway can be one)."""
        if env in SECOND_GATEWAYS:
            return (f"CHINAUMS_{env.upper()}_APP_ID", f"CHINAUMS_{env.upper()}_APP_KEY")
        return ()

    @property
    def gateway_url(self) -> str:
        """The base URL lookups go to: the override, or the one the environment picks."""
        return self.chinaums_base_url or GATEWAY_URLS[self.chinaums_env]

    @property
    def uses_inprocess_sandbox(self) -> bool:
        """True when lookups should go to a sandbox inside this process (no network)."""
        return self.chinaums_env == "sandbox" and self.chinaums_base_url is None

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first of *names* (field names) that is unset."""
        from_file = {v.field for v in variables(type(self)) if v.from_file}
        for name in names:
            if getattr(self, name) is None:
                variable = name.upper()
                if name in from_file:
                    variable += f" (or {variable}_FILE)"
                raise ConfigError(f"{variable}: required to connect to Slack")


_BOUNDS = {"gt": "more than {}", "ge": "at least {}", "lt": "less than {}", "le": "at most {}"}


def _one_line(error: ValidationError) -> str:
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:
        return message  # model-level checks already name their variable
    name = str(first["loc"][0])
    # What was typed is not echoed: a secret pasted into the wrong variable stays unseen.
    variable, got = name.upper(), first.get("input")
    if first["type"] in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        field = Settings.model_fields[name]
        bounds = " and ".join(
            text.format(f"{getattr(limit, bound):g}")
            for limit in field.metadata
            for bound, text in _BOUNDS.items()
            if getattr(limit, bound, None) is not None
        )
        return f"{variable}: expected {bounds}, such as {field.default:g}"
    if first["type"] == "string_too_long" and isinstance(got, str):
        limit = (first.get("ctx") or {}).get("max_length")
        return f"{variable}: expected at most {limit} characters, got {len(got)}"
    if first["type"] in {"float_parsing", "int_parsing", "int_from_float"}:
        field = Settings.model_fields[name]
        kind = "a whole number" if field.annotation is int else "a number"
        return f"{variable}: expected {kind}, such as {field.default:g}"
    return f"{variable}: {message.replace('Input should be ', 'expected ')}"


# What only `serve` reads: a one-shot command (query, demo) checks only what it uses, so a
# PORT or SLACK_API_URL gone wrong does not stop a lookup from a terminal.
SERVE_ONLY = frozenset(
    {
        "port",
        "qrinfo_metrics_port",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "slack_api_url",
        "qrinfo_audit_log",
        "qrinfo_redis_url",
        "qrinfo_redis_prefix",
        "qrinfo_redis_timeout",
    }
)
# ... and what a lookup from the terminal never meets: Slack's users, channels and limits.
SLACK_ONLY = frozenset(
    {
        *SERVE_ONLY,
        *_ID_KINDS,
        "qrinfo_access_hint",
        "qrinfo_usergroup_cache_seconds",
        "qrinfo_user_rate",
        "qrinfo_workspace_rate",
        "qrinfo_coalesce_seconds",
    }
)


def load_settings(*, unused: frozenset[str] = frozenset(), **overrides: object) -> Settings:
    """Read the environment (plus *overrides*, for tests) into Settings; the settings named
    in *unused* keep their defaults, their variables not read at all.

    Raises ConfigError with one line naming the first bad variable.
    """
    defaults = {name: Settings.model_fields[name].default for name in unused}
    try:
        return Settings(**(defaults | overrides))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


class _AuditLogOnly(FromEnvironment):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    qrinfo_audit_log: str = "-"


def audit_log_setting() -> str:
    """QRINFO_AUDIT_LOG alone, for `qrinfo audit`: reading the trail needs no other setting."""
    return _AuditLogOnly().qrinfo_audit_log


class _LogFormatOnly(FromEnvironment):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    qrinfo_log_format: str = "text"


def log_format_setting() -> Literal["text", "json"]:
    """QRINFO_LOG_FORMAT alone, known before the other settings so that their errors come
    out in it too. As strict as Settings: anything but json (JSON too) is text here, and the
    full load says what is wrong with it."""
    try:
        return "json" if _LogFormatOnly().qrinfo_log_format == "json" else "text"
    except ConfigError:  # a control character in it: the full load says so, as text
        return "text"
