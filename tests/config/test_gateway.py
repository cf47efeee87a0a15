"""The gateways' settings (bot/config/gateway.py): one model read under three prefixes, the
URL each environment picks, and the checks of a second gateway beside the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import GATEWAY_URLS, ConfigError, GatewaySettings, load_settings
from bot.config.gateway import GatewayGroup
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


def test_a_second_gateway_for_the_default_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CHINAUMS_TEST_* with CHINAUMS_ENV=test: the default gateway is already that one."""
    for name, value in {
        "CHINAUMS_ENV": "test",
        "CHINAUMS_APP_ID": "id",
        "CHINAUMS_APP_KEY": "key",
        "CHINAUMS_TEST_APP_ID": "other",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=r"^CHINAUMS_TEST_APP_ID: the default gateway is already"):
        load_settings()


def test_a_second_gateway_needs_both_its_id_and_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHINAUMS_PROD_BASE_URL", "https://prod.example")
    monkeypatch.setenv("CHINAUMS_PROD_APP_ID", "prod-id")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == ("CHINAUMS_PROD_APP_KEY: required when CHINAUMS_PROD_APP_ID is set")


def test_a_second_gateway_at_the_in_process_sandboxs_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP://127.0.0.1:08700 is where the sandbox answers in-process: the same origin."""
    monkeypatch.setenv("CHINAUMS_TEST_APP_ID", "id")
    monkeypatch.setenv("CHINAUMS_TEST_APP_KEY", "key")
    monkeypatch.setenv("CHINAUMS_TEST_BASE_URL", "HTTP://127.0.0.1:08700/")
    with pytest.raises(ConfigError, match=r"^CHINAUMS_TEST_BASE_URL: .* built-in sandbox"):
        load_settings()


def test_only_configured_second_gateways_are_listed() -> None:
    gateway = load_settings(chinaums_prod_app_id="p", chinaums_prod_app_key="k").gateway
    assert list(gateway.second_gateways()) == ["prod"]
    assert gateway.second("prod").app_id == "p"
    assert gateway.second("test").app_id is None


def test_settings_for_names_a_second_gateways_variables_and_none_for_the_sandbox() -> None:
    assert GatewayGroup.settings_for("prod") == ("CHINAUMS_PROD_APP_ID", "CHINAUMS_PROD_APP_KEY")
    assert GatewayGroup.settings_for("sandbox") == ()


def test_with_auth_changes_every_gateways_scheme_and_nothing_else() -> None:
    gateway = load_settings(chinaums_test_app_id="t", chinaums_test_app_key="k").gateway
    signed = gateway.with_auth("token")
    assert (signed.default.auth, signed.test.auth, signed.prod.auth) == ("token",) * 3
    assert signed.test.app_id == "t"
    assert gateway.default.auth == "body-sig"  # a copy: the original is unchanged


def test_env_chosen_says_whether_chinaums_env_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().gateway.env_chosen  # the clean environment names the sandbox
    monkeypatch.delenv("CHINAUMS_ENV")
    assert not load_settings().gateway.env_chosen
