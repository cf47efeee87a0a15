"""Settings: defaults, the URL each environment picks, and one-line start-up errors."""

from __future__ import annotations

import pytest

from bot.config import GATEWAY_URLS, ConfigError, load_settings


def test_defaults_run_against_the_in_process_sandbox() -> None:
    """With nothing set: sandbox, body-sig, 8 s, in-process sandbox credentials."""
    settings = load_settings()
    assert settings.chinaums_env == "sandbox"
    assert settings.chinaums_auth == "body-sig"
    assert settings.chinaums_timeout == 8.0
    assert settings.uses_inprocess_sandbox
    assert settings.app_id
    assert settings.app_key.get_secret_value()


@pytest.mark.parametrize("env", ["test", "prod"])
def test_each_environment_picks_its_gateway(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    """CHINAUMS_ENV=test/prod selects the provider's URL for it."""
    monkeypatch.setenv("CHINAUMS_ENV", env)
    monkeypatch.setenv("CHINAUMS_APP_ID", "id")
    monkeypatch.setenv("CHINAUMS_APP_KEY", "key")
    settings = load_settings()
    assert settings.gateway_url == GATEWAY_URLS[env]
    assert not settings.uses_inprocess_sandbox


def test_base_url_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHINAUMS_BASE_URL wins over CHINAUMS_ENV, trailing slash dropped."""
    monkeypatch.setenv("CHINAUMS_BASE_URL", "http://127.0.0.1:8700/")
    settings = load_settings()
    assert settings.gateway_url == "http://127.0.0.1:8700"
    assert not settings.uses_inprocess_sandbox


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
            "CHINAUMS_BASE_URL: expected an http:// or https:// URL",
        ),
        ({"CHINAUMS_AUTH": "oauth"}, "CHINAUMS_AUTH: expected 'body-sig' or 'token'"),
        ({"CHINAUMS_TIMEOUT": "0"}, "CHINAUMS_TIMEOUT: expected greater than 0"),
    ],
    ids=[
        "prod-no-id",
        "test-no-key",
        "unknown-env",
        "non-http-url",
        "unknown-auth",
        "zero-timeout",
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
    monkeypatch.setenv("CHINAUMS_TIMEOUT", "very-secret-key")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "very-secret-key" not in str(caught.value)
