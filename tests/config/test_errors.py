"""One-line errors (bot/config/errors.py): a bad value names its variable and says what was
expected, without echoing what was typed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bot.config import ConfigError, load_settings
from bot.config.errors import one_line
from bot.config.gateway import GatewayGroup, GatewaySettings
from bot.config.groups import GuardSettings


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CHINAUMS_ENV": "prod"}, "CHINAUMS_APP_ID: required when CHINAUMS_ENV=prod"),
        (
            {"CHINAUMS_ENV": "test", "CHINAUMS_APP_ID": "x"},
            "CHINAUMS_APP_KEY: required when CHINAUMS_ENV=test",
        ),
        ({"CHINAUMS_ENV": "staging"}, "CHINAUMS_ENV: expected 'sandbox', 'test' or 'prod'"),
        (
            {"CHINAUMS_BASE_URL": "ftp://x"},
            "CHINAUMS_BASE_URL: expected an http:// or https:// URL"
            " such as https://test-api-open.chinaums.com",
        ),
        ({"CHINAUMS_AUTH": "oauth"}, "CHINAUMS_AUTH: expected 'body-sig' or 'token'"),
        (
            {"CHINAUMS_TIMEOUT": "0"},
            "CHINAUMS_TIMEOUT: expected more than 0 and at most 60, such as 8",
        ),
        (
            {"CHINAUMS_MAX_IN_FLIGHT": "0"},
            "CHINAUMS_MAX_IN_FLIGHT: expected at least 1 and at most 4096, such as 512",
        ),
        (
            {"QRINFO_USER_RATE": "1.5"},
            "QRINFO_USER_RATE: expected a whole number, such as 30",
        ),
        (
            {"CHINAUMS_SYSTEM_ID": "s" * 33},
            "CHINAUMS_SYSTEM_ID: expected at most 32 characters, got 33",
        ),
    ],
    ids=[
        "prod-no-id",
        "test-no-key",
        "unknown-env",
        "non-http-url",
        "unknown-auth",
        "zero-timeout",
        "zero-in-flight",
        "fractional-rate",
        "long-system-id",
    ],
)
def test_bad_settings_fail_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    """Each bad combination raises ConfigError whose single line names the variable."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_the_app_key_is_hidden_in_reprs_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key never shows in the settings' repr, nor in a validation error."""
    monkeypatch.setenv("CHINAUMS_APP_KEY", "very-secret-key")
    assert "very-secret-key" not in repr(load_settings())
    for variable, value in [
        ("CHINAUMS_TIMEOUT", "very-secret-key"),  # not a number
        ("CHINAUMS_TIMEOUT", "1234567890"),  # a number out of range
        ("CHINAUMS_SYSTEM_ID", "very-secret-key" * 3),  # too long
    ]:
        monkeypatch.setenv(variable, value)
        with pytest.raises(ConfigError) as caught:
            load_settings()
        assert value not in str(caught.value)
        monkeypatch.delenv(variable)


URL_EXPECTED = "expected an http:// or https:// URL such as https://test-api-open.chinaums.com"


SLACK_URL_EXPECTED = "expected an http:// or https:// URL such as https://slack.com/api/"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"CHINAUMS_BASE_URL": "http://[::1"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED} (Invalid port)",
        ),
        (
            {"CHINAUMS_BASE_URL": "http://x:abc"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED} (Invalid port)",
        ),
        (
            {"CHINAUMS_TEST_BASE_URL": "https://x.com:SECRETPW"},
            "CHINAUMS_TEST_BASE_URL: expected an http:// or https:// URL such as "
            "https://test-api-open.chinaums.com (Invalid port)",
        ),
        (
            {"CHINAUMS_BASE_URL": "https://[SECRETPW/"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED} (not a host name)",
        ),
        (
            {"CHINAUMS_BASE_URL": "http://user:pw@host"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED}, without user:password@",
        ),
        (
            {"CHINAUMS_BASE_URL": "http://127.0.0.1:99999"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED} (the port must be 1-65535, got 99999)",
        ),
        (
            {"CHINAUMS_BASE_URL": "http://127.0.0.1:8700/?debug=1"},
            f"CHINAUMS_BASE_URL: {URL_EXPECTED}, without ?query or #fragment",
        ),
        ({"CHINAUMS_BASE_URL": "http://:8700"}, f"CHINAUMS_BASE_URL: {URL_EXPECTED}"),
        (
            {"SLACK_API_URL": "http://127.0.0.1:0/api/"},
            f"SLACK_API_URL: {SLACK_URL_EXPECTED} (the port must be 1-65535, got 0)",
        ),
        (
            {"SLACK_API_URL": "https://bot:secret@slack.com/api/"},
            f"SLACK_API_URL: {SLACK_URL_EXPECTED}, without user:password@",
        ),
        (
            {"CHINAUMS_TIMEOUT": "nan"},
            "CHINAUMS_TIMEOUT: expected a finite number of seconds (0-60), got nan",
        ),
        (
            {"CHINAUMS_TIMEOUT": "inf"},
            "CHINAUMS_TIMEOUT: expected a finite number of seconds (0-60), got inf",
        ),
        (
            {"QRINFO_COALESCE_SECONDS": "-inf"},
            "QRINFO_COALESCE_SECONDS: expected a finite number of seconds (0-300), got -inf",
        ),
        (
            {"QRINFO_BREAKER_COOLDOWN": "Infinity"},
            "QRINFO_BREAKER_COOLDOWN: expected a finite number of seconds (0-3600), got Infinity",
        ),
        (
            {"QRINFO_USERGROUP_CACHE_SECONDS": "NaN"},
            "QRINFO_USERGROUP_CACHE_SECONDS: expected a finite number of seconds (0-3600), got NaN",
        ),
        (
            {"CHINAUMS_APP_ID": "   "},
            "CHINAUMS_APP_ID: expected the developer id from the provider, "
            "got only blank characters",
        ),
        (
            {"CHINAUMS_ENV": "prod", "CHINAUMS_APP_ID": "\t", "CHINAUMS_APP_KEY": "key"},
            "CHINAUMS_APP_ID: expected the developer id from the provider, "
            "got only blank characters",
        ),
        (
            {"CHINAUMS_ENV": "test", "CHINAUMS_APP_ID": "id", "CHINAUMS_APP_KEY": "  "},
            "CHINAUMS_APP_KEY: expected the developer key from the provider, "
            "got only blank characters",
        ),
        (
            {"QRINFO_ALLOWED_TEAMS": "C0123ABCD"},
            "QRINFO_ALLOWED_TEAMS: expected comma-separated Slack team ids"
            " such as T0123ABCD,T0456EFGH; the id given is not a team id",
        ),
        (
            {"QRINFO_ALLOWED_ENTERPRISES": "T0123ABCD"},
            "QRINFO_ALLOWED_ENTERPRISES: expected comma-separated Slack Enterprise Grid org ids"
            " such as E0123ABCD; the id given is not an Enterprise Grid org id",
        ),
        (
            {"QRINFO_ALLOWED_CHANNELS": "C0123ABCD,U0123ABCD"},
            "QRINFO_ALLOWED_CHANNELS: expected comma-separated Slack channel ids"
            " such as C0123ABCD,G0456EFGH; id 2 of 2 is not a channel id",
        ),
        (
            {"QRINFO_ALLOWED_USERS": "S0123ABCD"},
            "QRINFO_ALLOWED_USERS: expected comma-separated Slack user ids"
            " such as U0123ABCD,W0456EFGH; the id given is not a user id",
        ),
        (
            {"QRINFO_ALLOWED_USERGROUPS": "U0123ABCD"},
            "QRINFO_ALLOWED_USERGROUPS: expected comma-separated Slack user group ids"
            " such as S0123ABCD,S0456EFGH; the id given is not a user group id",
        ),
    ],
    ids=[
        "url-unclosed-ipv6",
        "url-port-not-a-number",
        "url-port-a-pasted-secret-not-echoed",
        "url-host-a-pasted-secret",
        "url-with-credentials",
        "url-port-too-big",
        "url-with-query",
        "url-without-host",
        "slack-url-port-0",
        "slack-url-with-credentials",
        "timeout-nan",
        "timeout-inf",
        "coalesce-minus-inf",
        "cooldown-infinity",
        "usergroup-cache-nan",
        "blank-app-id-sandbox",
        "blank-app-id-prod",
        "blank-app-key-test",
        "channel-in-teams",
        "team-in-enterprises",
        "user-in-channels",
        "usergroup-in-users",
        "user-in-usergroups",
    ],
)
def test_edge_values_fail_with_one_line_saying_what_was_expected(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    """URLs httpx could not dial, nan/inf seconds, blank credentials, ids of the wrong kind."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == message


def test_redis_timeout_must_be_finite_like_other_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """QRINFO_REDIS_TIMEOUT is Seconds too: nan says so, not "out of range"."""
    monkeypatch.setenv("QRINFO_REDIS_TIMEOUT", "nan")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "QRINFO_REDIS_TIMEOUT: expected a finite number of seconds (0-5), got nan"
    )


def _refused(cls: type[BaseSettings], **values: Any) -> ValidationError:
    """The ValidationError *cls* raises when read with *values*."""
    with pytest.raises(ValidationError) as caught:
        cls(**values)
    return caught.value


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ({"user_rate": 0}, "QRINFO_USER_RATE: expected at least 1 and at most 100000, such as 30"),
        ({"user_rate": "1.5"}, "QRINFO_USER_RATE: expected a whole number, such as 30"),
        (
            {"coalesce_seconds": float("nan")},
            "QRINFO_COALESCE_SECONDS: expected a finite number of seconds (0-300), got nan",
        ),
        (
            {"access_hint": "x" * 201},
            "QRINFO_ACCESS_HINT: expected at most 200 characters, got 201",
        ),
    ],
    ids=["range", "not-whole", "not-finite", "too-long"],
)
def test_one_line_words_each_kind_of_problem_for_the_groups_own_variable(
    values: dict[str, object], line: str
) -> None:
    """Bounds and default from the field, the kind of number, the length, the finite span."""
    assert one_line(_refused(GuardSettings, **values), GuardSettings, None) == line


def test_one_line_names_the_variable_under_the_prefix_it_was_read_with() -> None:
    """One gateway model, three prefixes: the test gateway's id is worded as its own."""
    error = _refused(GatewaySettings, _env_prefix="CHINAUMS_TEST_", app_id="  ")
    assert one_line(error, GatewaySettings, "CHINAUMS_TEST_") == (
        "CHINAUMS_TEST_APP_ID: expected the developer id for the provider's test environment,"
        " got only blank characters"
    )
    error = _refused(GatewaySettings, _env_prefix="CHINAUMS_PROD_", base_url="ftp://x")
    assert one_line(error, GatewaySettings, "CHINAUMS_PROD_") == (
        "CHINAUMS_PROD_BASE_URL: expected an http:// or https:// URL such as "
        "https://api-mop.chinaums.com"
    )


def test_a_part_of_a_group_given_wrong_is_named_by_group_and_field() -> None:
    """No variable reads a group's part: the line names the group's field instead."""
    error = _refused(GatewayGroup, default="x", test="y", prod="z")
    line = one_line(error, GatewayGroup, None)
    assert line.startswith("GatewayGroup.default: ")
    assert "Value error" not in line
