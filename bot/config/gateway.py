"""The gateways' settings: one model for a gateway (where, as whom, how signed) read under
three prefixes, CHINAUMS_ for the default gateway and CHINAUMS_TEST_ and CHINAUMS_PROD_ for a
gateway beside it, and the group that holds them with what only the default's settings say.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import httpx
from pydantic import Field, ModelWrapValidatorHandler, PrivateAttr, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.config.groups import Group
from bot.config.types import BaseUrl, EmptyIsDefault, ExactId, OptionalText, Seconds, Secret
from bot.gateway.config import AuthScheme, Environment

GATEWAY_URLS: dict[str, str] = {
    "prod": "https://api-mop.chinaums.com",
    "test": "https://test-api-open.chinaums.com",
    # `qrinfo sandbox` listens here by default; with no CHINAUMS_BASE_URL the
    # entry points run the sandbox in-process instead of dialling this.
    "sandbox": "http://127.0.0.1:8700",
}
# The environments a second gateway may serve, beside the default one (CHINAUMS_ENV).
SecondEnv = Literal["test", "prod"]
SECOND_GATEWAYS: tuple[SecondEnv, ...] = get_args(SecondEnv)
# Each gateway's place in the group, and the prefix its settings are read under.
Place = Literal["default", "test", "prod"]
GATEWAY_PREFIXES: dict[Place, str] = {
    "default": "CHINAUMS_",
    "test": "CHINAUMS_TEST_",
    "prod": "CHINAUMS_PROD_",
}


def _expected(prefix: str, whose: str, example_env: str) -> dict[str, str]:
    return {
        f"{prefix}BASE_URL": f"an http:// or https:// URL such as {GATEWAY_URLS[example_env]}",
        f"{prefix}APP_ID": f"the developer id {whose}",
        f"{prefix}APP_KEY": f"the developer key {whose}",
    }


# What each gateway's URL, id and key hold, for "CHINAUMS_TEST_APP_ID: expected ..." (errors.py):
# one model reads all three, so its checks cannot say whose they are.
GATEWAY_EXPECTED = (
    _expected("CHINAUMS_", "from the provider", "test")
    | _expected("CHINAUMS_TEST_", "for the provider's test environment", "test")
    | _expected("CHINAUMS_PROD_", "for the provider's production", "prod")
)


class GatewaySettings(Group):
    """One gateway: where it answers, and the developer account lookups are made as. Read as
    CHINAUMS_* for the default gateway; as CHINAUMS_TEST_* and CHINAUMS_PROD_* (given as
    _env_prefix) for a gateway beside it (None: not set)."""

    model_config = SettingsConfigDict(env_prefix="CHINAUMS_")

    base_url: BaseUrl = None
    app_id: ExactId = None
    app_key: Secret = None
    auth: Annotated[AuthScheme, EmptyIsDefault] = "body-sig"


def _origin(url: str | None) -> tuple[str, str, int] | None:
    """Scheme, host and port as httpx dials them (HTTP://127.0.0.1:08700 is :8700 too)."""
    if url is None:
        return None
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme, parsed.host, port


class GatewayGroup(Group):
    """The gateways lookups go to: the default one (CHINAUMS_ENV picks its URL), the second
    ones beside it (test, prod), and what all of them share: the default's timeout, cap,
    systemId, srcReserve and breaker settings apply to each.

    The breaker's settings are named QRINFO_BREAKER_* (aliases): they are here, beside the
    calls they pause, and a lookup from a terminal uses them too.
    """

    model_config = SettingsConfigDict(env_prefix="CHINAUMS_")

    env: Annotated[Environment, EmptyIsDefault] = "sandbox"
    system_id: OptionalText = Field(default=None, max_length=32)
    src_reserve: OptionalText = Field(default=None, max_length=255)
    timeout: Annotated[Seconds, Field(gt=0, le=60)] = 8.0
    # bills/query for a found code's bill (its payment status): at most this long, within
    # the lookup's timeout; 0: not asked.
    payment_timeout: Annotated[Seconds, Field(ge=0, le=60)] = 2.0
    max_in_flight: int = Field(default=512, ge=1, le=4096)
    breaker_failures: int = Field(
        default=5, ge=1, le=1000, validation_alias="qrinfo_breaker_failures"
    )
    breaker_cooldown: Annotated[Seconds, Field(gt=0, le=3600)] = Field(
        default=30.0, validation_alias="qrinfo_breaker_cooldown"
    )
    # Each read on its own, under its prefix (GATEWAY_PREFIXES), and given here.
    default: Annotated[GatewaySettings, NoDecode]
    test: Annotated[GatewaySettings, NoDecode]
    prod: Annotated[GatewaySettings, NoDecode]

    # Whether CHINAUMS_ENV was set (not empty): `serve` answers people from the sandbox only
    # when asked to by name.
    _env_chosen: bool = PrivateAttr(default=False)

    @model_validator(mode="wrap")
    @classmethod
    def _note_env_chosen(
        cls, data: Any, handler: ModelWrapValidatorHandler[GatewayGroup]
    ) -> GatewayGroup:
        group = handler(data)
        if isinstance(data, dict):  # not a group already read, passed on (into Settings)
            group._env_chosen = bool(data.get("env"))
        return group

    @property
    def env_chosen(self) -> bool:
        """True when CHINAUMS_ENV names the default gateway's environment, rather than the
        sandbox standing in by default."""
        return self._env_chosen

    @model_validator(mode="after")
    def _credentials_outside_sandbox(self) -> GatewayGroup:
        if self.env != "sandbox":
            if not self.default.app_id:
                raise ValueError(f"CHINAUMS_APP_ID: required when CHINAUMS_ENV={self.env}")
            key = self.default.app_key
            if key is None or not key.get_secret_value():
                raise ValueError(f"CHINAUMS_APP_KEY: required when CHINAUMS_ENV={self.env}")
        for env in SECOND_GATEWAYS:
            self._check_second_gateway(env)
        return self

    def _check_second_gateway(self, env: SecondEnv) -> None:
        second = self.second(env)
        prefix = GATEWAY_PREFIXES[env]
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
        if env == self.env:
            raise ValueError(
                f"{given[0]}: the default gateway is already the {env} environment "
                f"(CHINAUMS_ENV={env}); its settings are CHINAUMS_APP_ID, CHINAUMS_APP_KEY "
                f"and CHINAUMS_BASE_URL, or set CHINAUMS_ENV to another environment"
            )
        for name in (prefix + "APP_ID", prefix + "APP_KEY"):
            if name not in given:
                raise ValueError(f"{name}: required when {given[0]} is set")
        if self.uses_inprocess_sandbox and _origin(second.base_url) == _origin(self.url):
            raise ValueError(
                f"{prefix}BASE_URL: {second.base_url} is where the built-in sandbox answers "
                "inside this process (CHINAUMS_ENV=sandbox, no CHINAUMS_BASE_URL); for "
                f"`qrinfo sandbox` there, set CHINAUMS_BASE_URL={second.base_url} as well"
            )

    def second(self, env: SecondEnv) -> GatewaySettings:
        """What CHINAUMS_TEST_* (or CHINAUMS_PROD_*) say of a gateway beside the default."""
        return self.test if env == "test" else self.prod

    def second_gateways(self) -> dict[SecondEnv, GatewaySettings]:
        """The gateways configured beside the default one, by environment (checked at load:
        each has its appId and key)."""
        seconds = {env: self.second(env) for env in SECOND_GATEWAYS}
        return {env: second for env, second in seconds.items() if second.app_id is not None}

    @staticmethod
    def settings_for(env: str) -> tuple[str, ...]:
        """The settings that configure a second gateway for *env* (none for the sandbox:
        only the default gateway can be one)."""
        if env in SECOND_GATEWAYS:
            return (f"CHINAUMS_{env.upper()}_APP_ID", f"CHINAUMS_{env.upper()}_APP_KEY")
        return ()

    @property
    def url(self) -> str:
        """The base URL lookups go to: the override, or the one the environment picks."""
        return self.default.base_url or GATEWAY_URLS[self.env]

    @property
    def uses_inprocess_sandbox(self) -> bool:
        """True when lookups should go to a sandbox inside this process (no network)."""
        return self.env == "sandbox" and self.default.base_url is None

    def with_auth(self, auth: AuthScheme) -> GatewayGroup:
        """These gateways, each signing as *auth* (a one-shot command's --auth)."""
        update: dict[str, Any] = {
            place: getattr(self, place).model_copy(update={"auth": auth})
            for place in GATEWAY_PREFIXES
        }
        return self.model_copy(update=update)
