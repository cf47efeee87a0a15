"""The kinds of value settings take (bot/config/types.py): ports, Slack id lists, blank
secrets, URLs; read through load_settings and through the Annotated types themselves."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import TypeAdapter, ValidationError

from bot.config import ConfigError, load_settings
from bot.config.types import (
    ApiUrl,
    BaseUrl,
    OptionalText,
    Port,
    Secret,
    SlackIds,
    parse_port,
    slack_ids,
)


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


@pytest.mark.parametrize(("text", "port"), [("0", 0), ("80", 80), ("65535", 65535)])
def test_parse_port_takes_ascii_digits_from_0_to_65535(text: str, port: int) -> None:
    assert parse_port(text) == port


@pytest.mark.parametrize("text", ["-1", "65536", "٣٠٠٠", "²", "", "0x50"])
def test_parse_port_refuses_anything_else_quoting_it(text: str) -> None:
    with pytest.raises(ValueError, match="expected a port number 1-65535") as caught:
        parse_port(text)
    assert str(caught.value).endswith(f"got {text!r}")


def test_a_port_given_as_a_number_is_checked_too() -> None:
    """An int (a test's override) out of range is refused like typed text; empty is the default."""
    ports = TypeAdapter(Port)
    assert ports.validate_python(8080) == 8080
    with pytest.raises(ValidationError, match="got 70000"):
        ports.validate_python(70000)


USERS = TypeAdapter(Annotated[SlackIds, slack_ids("user", "UW", "U0123ABCD")])


def test_slack_ids_split_on_commas_and_semicolons_trimming_blanks() -> None:
    assert USERS.validate_python(" U0123ABCD ;W0456EFGH,, ") == {"U0123ABCD", "W0456EFGH"}
    assert USERS.validate_python("") == frozenset()


@pytest.mark.parametrize("value", ["u0123abcd", "UX", "U0123-ABC", "C0123ABCD"])
def test_slack_ids_refuse_an_id_of_another_kind_or_shape(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        USERS.validate_python(value)
    message = caught.value.errors()[0]["msg"]
    assert message.endswith("; the id given is not a user id")
    assert value not in message  # where, not what: a pasted secret stays unseen


def test_a_base_url_loses_its_trailing_slash_and_an_api_url_keeps_exactly_one() -> None:
    assert TypeAdapter(BaseUrl).validate_python("https://x.example/api//") == (
        "https://x.example/api"
    )
    assert TypeAdapter(ApiUrl).validate_python("https://x.example/api") == "https://x.example/api/"
    assert TypeAdapter(BaseUrl).validate_python("") is None


def test_a_secret_of_blanks_is_refused_and_an_empty_one_is_unset() -> None:
    secrets = TypeAdapter(Secret)
    assert secrets.validate_python("") is None
    with pytest.raises(ValidationError, match="only blank characters"):
        secrets.validate_python("\u200b \t")
    kept = secrets.validate_python(" key ")
    assert kept is not None
    assert kept.get_secret_value() == " key "


def test_optional_text_left_empty_is_unset() -> None:
    assert TypeAdapter(OptionalText).validate_python("") is None
    assert TypeAdapter(OptionalText).validate_python("x") == "x"
