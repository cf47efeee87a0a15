"""Loading the settings (bot/config/load.py): secret files, overrides routed by variable name,
what one-shot commands leave unread, and the two settings read on their own."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from pathlib import Path

import pytest

from bot.config import (
    FILE_VARIABLES,
    SERVE_ONLY,
    SLACK_ONLY,
    VARIABLES,
    ConfigError,
    audit_log_setting,
    load_settings,
    log_format_setting,
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


def test_the_variables_keep_their_names() -> None:
    """The groups read the variables the flat settings read, and the same NAME_FILEs."""
    assert sorted(VARIABLES) == sorted(
        [
            *(f"CHINAUMS_{name}" for name in ["ENV", "SYSTEM_ID", "SRC_RESERVE", "TIMEOUT"]),
            "CHINAUMS_MAX_IN_FLIGHT",
            "CHINAUMS_PAYMENT_TIMEOUT",
            *(
                f"CHINAUMS_{gateway}{name}"
                for gateway in ["", "TEST_", "PROD_"]
                for name in ["BASE_URL", "APP_ID", "APP_KEY", "AUTH"]
            ),
            *(f"SLACK_{name}" for name in ["BOT_TOKEN", "SIGNING_SECRET", "APP_TOKEN", "API_URL"]),
            "PORT",
            "QRINFO_METRICS_PORT",
            "QRINFO_EVENT_LOOP",
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


def test_serve_only_settings_are_left_at_their_defaults_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SERVE_ONLY leaves the guard read: a bad rate still stops a demo, a bad PORT does not."""
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("QRINFO_REDIS_URL", "postgres://x")
    assert load_settings(unused=SERVE_ONLY).redis.url is None
    monkeypatch.setenv("QRINFO_USER_RATE", "0")
    with pytest.raises(ConfigError, match=r"^QRINFO_USER_RATE: "):
        load_settings(unused=SERVE_ONLY)


def test_an_unknown_unused_setting_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="no such setting: qrinfo_nothing"):
        load_settings(unused=frozenset({"qrinfo_nothing"}))


def test_the_audit_log_setting_is_read_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """`qrinfo audit` needs QRINFO_AUDIT_LOG only: a bad PORT beside it does not matter."""
    assert audit_log_setting() == "-"
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("QRINFO_AUDIT_LOG", "/var/log/qrinfo.jsonl")
    assert audit_log_setting() == "/var/log/qrinfo.jsonl"


@pytest.mark.parametrize(
    ("value", "read"), [("json", "json"), ("JSON", "text"), ("text", "text"), ("x\ty", "text")]
)
def test_the_log_format_is_read_alone_and_only_json_is_json(
    monkeypatch: pytest.MonkeyPatch, value: str, read: str
) -> None:
    monkeypatch.setenv("QRINFO_LOG_FORMAT", value)
    assert log_format_setting() == read
