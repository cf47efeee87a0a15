"""Settings: defaults, the URL each environment picks, and one-line start-up errors."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from pathlib import Path

import pytest

from bot.config import (
    FILE_VARIABLES,
    GATEWAY_URLS,
    SLACK_ONLY,
    VARIABLES,
    ConfigError,
    GatewaySettings,
    load_settings,
)
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.wiring import gateway_config


def test_defaults_run_against_the_in_process_sandbox() -> None:
    """With nothing set: sandbox, body-sig, 8 s, in-process sandbox credentials."""
    settings = load_settings()
    assert settings.gateway.env == "sandbox"
    assert settings.gateway.default.auth == "body-sig"
    assert settings.gateway.timeout == 8.0
    assert settings.gateway.uses_inprocess_sandbox
    config = gateway_config(settings)  # the sandbox's built-in developer
    assert config.app_id == SANDBOX_APP_ID
    assert config.app_key.get_secret_value() == SANDBOX_APP_KEY


@pytest.mark.parametrize("env", ["test", "prod"])
def test_each_environment_picks_its_gateway(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    """CHINAUMS_ENV=test/prod selects the provider's URL for it."""
    monkeypatch.setenv("CHINAUMS_ENV", env)
    monkeypatch.setenv("CHINAUMS_APP_ID", "id")
    monkeypatch.setenv("CHINAUMS_APP_KEY", "key")
    settings = load_settings()
    assert settings.gateway.url == GATEWAY_URLS[env]
    assert not settings.gateway.uses_inprocess_sandbox


def test_base_url_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHINAUMS_BASE_URL wins over CHINAUMS_ENV, trailing slash dropped."""
    monkeypatch.setenv("CHINAUMS_BASE_URL", "http://127.0.0.1:8700/")
    settings = load_settings()
    assert settings.gateway.url == "http://127.0.0.1:8700"
    assert not settings.gateway.uses_inprocess_sandbox


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
            " such as T0123ABCD,T0456EFGH, got 'C0123ABCD'",
        ),
        (
            {"QRINFO_ALLOWED_ENTERPRISES": "T0123ABCD"},
            "QRINFO_ALLOWED_ENTERPRISES: expected comma-separated Slack Enterprise Grid org ids"
            " such as E0123ABCD, got 'T0123ABCD'",
        ),
        (
            {"QRINFO_ALLOWED_CHANNELS": "C0123ABCD,U0123ABCD"},
            "QRINFO_ALLOWED_CHANNELS: expected comma-separated Slack channel ids"
            " such as C0123ABCD,G0456EFGH, got 'U0123ABCD'",
        ),
        (
            {"QRINFO_ALLOWED_USERS": "S0123ABCD"},
            "QRINFO_ALLOWED_USERS: expected comma-separated Slack user ids"
            " such as U0123ABCD,W0456EFGH, got 'S0123ABCD'",
        ),
        (
            {"QRINFO_ALLOWED_USERGROUPS": "U0123ABCD"},
            "QRINFO_ALLOWED_USERGROUPS: expected comma-separated Slack user group ids"
            " such as S0123ABCD,S0456EFGH, got 'U0123ABCD'",
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


def test_each_allow_list_takes_the_kinds_of_id_it_is_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Private channels (G…) and Enterprise Grid users (W…) are accepted where they belong."""
    monkeypatch.setenv("QRINFO_ALLOWED_CHANNELS", "C0123ABCD, G0456EFGH")
    monkeypatch.setenv("QRINFO_ALLOWED_USERS", "U0123ABCD,W0456EFGH")
    monkeypatch.setenv("QRINFO_ALLOWED_TEAMS", "T0123ABCD")
    settings = load_settings()
    assert settings.guard.allowed_channels == {"C0123ABCD", "G0456EFGH"}
    assert settings.guard.allowed_users == {"U0123ABCD", "W0456EFGH"}


def test_port_0_means_any_free_port_like_the_flag() -> None:
    """PORT=0 is accepted as --port 0 is: the server takes a free port and logs it."""
    assert load_settings(port="0").slack.port == 0


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"SLACK_BOT_TOKEN": "   "},
            "SLACK_BOT_TOKEN: expected the bot token (xoxb-…) from the app's OAuth page, "
            "got only blank characters",
        ),
        (
            {"SLACK_SIGNING_SECRET": "\u3000"},
            "SLACK_SIGNING_SECRET: expected the signing secret from the app's Basic "
            "Information page, got only blank characters",
        ),
        (
            {"CHINAUMS_APP_ID": "\u200b"},
            "CHINAUMS_APP_ID: expected the developer id from the provider, "
            "got only blank characters",
        ),
        (
            {"QRINFO_ALLOWED_USERS": ","},
            "QRINFO_ALLOWED_USERS: expected comma-separated Slack user ids such as "
            "U0123ABCD,W0456EFGH, got no id (leave it empty for no restriction)",
        ),
        (
            {"QRINFO_ALLOWED_USERS": " \u3000 "},
            "QRINFO_ALLOWED_USERS: expected comma-separated Slack user ids such as "
            "U0123ABCD,W0456EFGH, got no id (leave it empty for no restriction)",
        ),
        (
            {"QRINFO_ALLOWED_CHANNELS": " ; "},
            "QRINFO_ALLOWED_CHANNELS: expected comma-separated Slack channel ids such as "
            "C0123ABCD,G0456EFGH, got no id (leave it empty for no restriction)",
        ),
    ],
    ids=["bot-token-spaces", "signing-secret-ideographic-space", "app-id-zero-width",
         "users-only-a-comma", "users-only-blanks", "channels-only-separators"],
)  # fmt: skip
def test_blank_secrets_and_id_lists_of_separators_are_refused(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    """A paste gone wrong is refused, naming the variable, instead of failing later or open."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == message


def test_an_empty_port_means_the_default_like_every_other_empty_variable() -> None:
    """PORT= (set, empty) is 3000, as unset; PORT=３０００ (full-width) stays refused."""
    assert load_settings(port="").slack.port == 3000
    with pytest.raises(ConfigError, match=r"^PORT: "):
        load_settings(port="３０００")


@pytest.mark.parametrize("value", ["1_000", " 0 ", "３０００", "+80", "65536"])
def test_port_reads_like_the_flag(value: str) -> None:
    """PORT takes ASCII digits only, with --port's own message."""
    with pytest.raises(ConfigError) as caught:
        load_settings(port=value)
    assert str(caught.value) == (
        f"PORT: expected a port number 1-65535, or 0 for any free port, such as 3000; got {value!r}"
    )


@pytest.mark.parametrize(
    ("variable", "setting"),
    [
        ("SLACK_BOT_TOKEN", "slack.bot_token"),
        ("SLACK_SIGNING_SECRET", "slack.signing_secret"),
        ("SLACK_APP_TOKEN", "slack.app_token"),
        ("CHINAUMS_APP_KEY", "gateway.default.app_key"),
        ("QRINFO_REDIS_URL", "redis.url"),
    ],
)
def test_a_secret_file_gives_the_secret_less_its_trailing_newline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, setting: str
) -> None:
    """NAME_FILE names a file (as Kubernetes and Docker mount secrets): its text is the
    value, without the one line break `echo` and `kubectl create secret` leave."""
    value = "redis://:p%2Fss%23@redis:6379/0" if setting == "redis.url" else "xoxb-1-2-abc"
    secret = tmp_path / "secret"
    secret.write_text(value + "\n")
    monkeypatch.setenv(f"{variable}_FILE", str(secret))
    assert attrgetter(setting)(load_settings()).get_secret_value() == value


def test_second_gateways_keys_come_from_files_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CHINAUMS_TEST_APP_KEY_FILE and CHINAUMS_PROD_APP_KEY_FILE, with a \\r\\n ending."""
    for env in ("test", "prod"):
        (tmp_path / env).write_bytes(f"{env}-key\r\n".encode())
        monkeypatch.setenv(f"CHINAUMS_{env.upper()}_APP_ID", f"{env}-id")
        monkeypatch.setenv(f"CHINAUMS_{env.upper()}_APP_KEY_FILE", str(tmp_path / env))
    settings = load_settings()
    assert {
        env: g.app_key.get_secret_value()
        for env, g in settings.gateway.second_gateways().items()
        if g.app_key
    } == {"test": "test-key", "prod": "prod-key"}


def test_a_secret_and_its_file_both_set_are_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Which one would win is not guessed: one line names both variables."""
    (tmp_path / "token").write_text("xoxb-from-file")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "token"))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert (
        str(caught.value)
        == "SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are both set: keep one of them"
    )
    assert "xoxb" not in str(caught.value)


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing", "cannot read {path}: No such file or directory"),
        (lambda d: _written(d / "f", b"x") / "key", "cannot read {path}: Not a directory"),
        (lambda d: d, "{path} is a directory; expected the file holding the secret"),
        (lambda d: _written(d / "f", b""), "{path} is empty; expected the secret"),
        (lambda d: _written(d / "f", b"\n"), "{path} is empty; expected the secret"),
        (lambda d: _written(d / "f", b"\xff\xfe"), "{path} is not UTF-8 text"),
        (
            lambda d: _written(d / "f", b"x" * 70_000),
            "{path} holds more than 64 KiB; expected one secret",
        ),
    ],
    ids=["missing", "under-a-file", "directory", "empty", "only-a-newline", "not-utf8", "huge"],
)
def test_a_secret_file_that_cannot_be_had_is_one_line_naming_variable_and_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, make: Callable[[Path], Path], says: str
) -> None:
    """The _FILE variable and the path are named; nothing of the file is echoed."""
    path = make(tmp_path)
    monkeypatch.setenv("SLACK_SIGNING_SECRET_FILE", str(path))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == "SLACK_SIGNING_SECRET_FILE: " + says.format(path=path)


def test_serve_without_a_bot_token_names_the_file_variable_too() -> None:
    """The message for a missing secret says it may come from a file."""
    with pytest.raises(
        ConfigError, match=r"^SLACK_BOT_TOKEN \(or SLACK_BOT_TOKEN_FILE\): required"
    ):
        load_settings().slack.require("bot_token")


def test_the_variables_keep_their_names() -> None:
    """The groups read the variables the flat settings read, and the same NAME_FILEs."""
    assert sorted(VARIABLES) == sorted(
        [
            *(f"CHINAUMS_{name}" for name in ["ENV", "SYSTEM_ID", "SRC_RESERVE", "TIMEOUT"]),
            "CHINAUMS_MAX_IN_FLIGHT",
            *(
                f"CHINAUMS_{gateway}{name}"
                for gateway in ["", "TEST_", "PROD_"]
                for name in ["BASE_URL", "APP_ID", "APP_KEY", "AUTH"]
            ),
            *(f"SLACK_{name}" for name in ["BOT_TOKEN", "SIGNING_SECRET", "APP_TOKEN", "API_URL"]),
            "PORT",
            "QRINFO_METRICS_PORT",
            *(
                f"QRINFO_ALLOWED_{kind}"
                for kind in ["TEAMS", "ENTERPRISES", "CHANNELS", "USERS", "USERGROUPS"]
            ),
            "QRINFO_OPERATORS",
            "QRINFO_ACCESS_HINT",
            "QRINFO_USERGROUP_CACHE_SECONDS",
            "QRINFO_USER_RATE",
            "QRINFO_WORKSPACE_RATE",
            "QRINFO_COALESCE_SECONDS",
            "QRINFO_BREAKER_FAILURES",
            "QRINFO_BREAKER_COOLDOWN",
            "QRINFO_AUDIT_LOG",
            "QRINFO_LANGUAGE",
            "QRINFO_LOG_FORMAT",
            *(f"QRINFO_REDIS_{name}" for name in ["URL", "PREFIX", "TIMEOUT"]),
        ]
    )
    assert sorted(FILE_VARIABLES) == sorted(
        [
            "SLACK_BOT_TOKEN_FILE",
            "SLACK_SIGNING_SECRET_FILE",
            "SLACK_APP_TOKEN_FILE",
            "CHINAUMS_APP_KEY_FILE",
            "CHINAUMS_TEST_APP_KEY_FILE",
            "CHINAUMS_PROD_APP_KEY_FILE",
            "QRINFO_REDIS_URL_FILE",
        ]
    )


def test_one_gateway_model_reads_each_gateway_under_its_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CHINAUMS_*, CHINAUMS_TEST_* and CHINAUMS_PROD_* fill the same model, each its own."""
    for prefix, auth in [("CHINAUMS_", "token"), ("CHINAUMS_PROD_", "token")]:
        monkeypatch.setenv(f"{prefix}AUTH", auth)
    monkeypatch.setenv("CHINAUMS_TEST_APP_ID", "test-id")
    monkeypatch.setenv("CHINAUMS_TEST_APP_KEY", "test-key")
    monkeypatch.setenv("CHINAUMS_PROD_APP_ID", "prod-id")
    monkeypatch.setenv("CHINAUMS_PROD_APP_KEY", "prod-key")
    monkeypatch.setenv("CHINAUMS_PROD_BASE_URL", "https://prod.example/")
    gateway = load_settings().gateway
    assert {type(gateway.default), type(gateway.test), type(gateway.prod)} == {GatewaySettings}
    assert (gateway.default.auth, gateway.test.auth, gateway.prod.auth) == (
        "token",
        "body-sig",
        "token",
    )
    assert (gateway.default.app_id, gateway.test.app_id, gateway.prod.app_id) == (
        None,
        "test-id",
        "prod-id",
    )
    assert gateway.prod.base_url == "https://prod.example"


def test_overrides_are_named_by_variable_and_reach_their_group() -> None:
    """load_settings takes what tests give by the variable's name, lowercased, and routes it;
    a name that is no setting's is refused rather than ignored."""
    settings = load_settings(
        chinaums_timeout=0.3,
        chinaums_test_app_id="test-id",
        chinaums_test_app_key="test-key",
        chinaums_test_auth="token",
        qrinfo_breaker_failures=2,
        port="0",
        qrinfo_metrics_port="9100",
        qrinfo_user_rate=7,
        qrinfo_redis_prefix="p",
        qrinfo_language="zh",
    )
    assert settings.gateway.timeout == 0.3
    assert settings.gateway.test.auth == "token"
    assert settings.gateway.breaker_failures == 2
    assert (settings.slack.port, settings.slack.metrics_port) == (0, 9100)
    assert settings.guard.user_rate == 7
    assert settings.redis.prefix == "p"
    assert settings.logging.language == "zh"
    with pytest.raises(TypeError, match="chinaums_timeot"):
        load_settings(chinaums_timeot=0.3)


def test_settings_left_unused_are_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a one-shot query never uses (Slack, serving, the guardrails) is not even read."""
    monkeypatch.setenv("PORT", "not a port")
    monkeypatch.setenv("QRINFO_USER_RATE", "0")
    monkeypatch.setenv("SLACK_BOT_TOKEN", '"quoted"')
    settings = load_settings(unused=SLACK_ONLY)
    assert (settings.slack.port, settings.guard.user_rate) == (3000, 30)
    assert settings.slack.bot_token is None


def test_redis_timeout_must_be_finite_like_other_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """QRINFO_REDIS_TIMEOUT is Seconds too: nan says so, not "out of range"."""
    monkeypatch.setenv("QRINFO_REDIS_TIMEOUT", "nan")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "QRINFO_REDIS_TIMEOUT: expected a finite number of seconds (0-5), got nan"
    )
