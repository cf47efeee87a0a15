"""Values as people paste them: one trailing line break dropped, anything else odd refused."""

from __future__ import annotations

import os

import pytest

from bot.config import ConfigError, load_settings
from bot.environment import NotAsExpected, as_pasted


@pytest.mark.parametrize(
    ("pasted", "exact", "value"),
    [
        ("xoxb-1", True, "xoxb-1"),
        ("xoxb-1\n", True, "xoxb-1"),
        ("xoxb-1\r\n", True, "xoxb-1"),
        ("/var/log/qrinfo.jsonl\n", False, "/var/log/qrinfo.jsonl"),
        ("  #payments support ", False, "  #payments support "),
        ("\n", True, ""),
        ("   ", True, "   "),  # only blanks: the setting's own check words it
    ],
)
def test_one_trailing_line_break_is_not_part_of_a_value(
    pasted: str, exact: bool, value: str
) -> None:
    """What echo, editors and kubectl create secret leave at the end is dropped, once."""
    assert as_pasted(pasted, exact=exact) == value


@pytest.mark.parametrize(
    ("pasted", "exact", "problem"),
    [
        ("abc\n\n", False, "holds a line break at character 4; expected the value on one line"),
        ("a\tb", False, "holds a tab at character 2; expected the value on one line"),
        ("ab\rc", True, "holds a carriage return at character 3; expected the value on one line"),
        ("a\x1b[2Jb", False, "holds the control character U+001B at character 2; expected"),
        ('"s3cret"', True, "is wrapped in quotes; set the value without them"),
        ("'s3cret'", True, "is wrapped in quotes; set the value without them"),
        ("“s3cret”", True, "is wrapped in quotes; set the value without them"),
        (" s3cret", True, "begins or ends with a space; set the value without anything around"),
        ("s3cret\u3000", True, "begins or ends with a space (U+3000); set the value without"),
        ("\ufeffs3cret", True, "begins or ends with an invisible character (U+FEFF); set the"),
        ("s3cret\u200b", True, "begins or ends with an invisible character (U+200B); set the"),
        ("s3cret\r", False, "holds a carriage return at character 7; expected the value on"),
        ("\n\n", False, "holds a line break at character 1; expected the value on one line"),
        ("\t", False, "holds a tab at character 1; expected the value on one line"),
    ],
    ids=[
        "two-newlines",
        "tab",
        "cr",
        "escape",
        "double",
        "single",
        "curly",
        "lead",
        "u3000",
        "bom",
        "zero-width",
        "lone-cr",
        "only-two-line-breaks",
        "only-a-tab",
    ],
)
def test_other_control_characters_and_quotes_or_spaces_around_a_secret_are_refused(
    pasted: str, exact: bool, problem: str
) -> None:
    """Each refusal says what is wrong and where, never what the value is."""
    with pytest.raises(NotAsExpected) as caught:
        as_pasted(pasted, exact=exact)
    assert str(caught.value).startswith(problem)
    assert "s3cret" not in str(caught.value)


def test_quotes_inside_a_non_secret_value_are_kept() -> None:
    """A hint may quote a channel name: only ids, keys, tokens and secrets must be bare."""
    assert as_pasted('"#payments"', exact=False) == '"#payments"'


def test_a_refused_variable_is_named_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """SLACK_SIGNING_SECRET in quotes (docker --env-file keeps them) stops the start."""
    monkeypatch.setenv("SLACK_SIGNING_SECRET", '"8f14e45fceea167a5a36dedd4bea2543"')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        "SLACK_SIGNING_SECRET: is wrapped in quotes; set the value without them"
    )


def test_a_file_value_obeys_the_same_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A _FILE's content: one line break dropped, a second one refused naming file and path."""
    path = f"{tmp_path}/key"
    with open(path, "w") as file:
        file.write("key\n\n")
    monkeypatch.setenv("CHINAUMS_APP_KEY_FILE", path)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f"CHINAUMS_APP_KEY_FILE: {path} holds a line break at character 4; expected the value on "
        "one line"
    )


@pytest.mark.parametrize("pasted", ['"s3cret', "s3cret'", "”s3cret"])
def test_a_secret_with_a_quote_at_one_end_is_refused(pasted: str) -> None:
    """One of a pair of quotes lost in an edit would fail every request later."""
    with pytest.raises(NotAsExpected, match=r"^begins or ends with a quote; set the value"):
        as_pasted(pasted, exact=True)


@pytest.mark.parametrize("empty", ["", "\n", "\r\n"])
def test_an_empty_variable_leaves_its_file_to_give_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, empty: str
) -> None:
    """SLACK_BOT_TOKEN= (empty, or a lone line break: unset) beside SLACK_BOT_TOKEN_FILE: the
    file gives it."""
    path = f"{tmp_path}/token"
    with open(path, "w") as file:
        file.write("xoxb-from-file\n")
    monkeypatch.setenv("SLACK_BOT_TOKEN", empty)
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", path)
    token = load_settings().slack.bot_token
    assert token is not None
    assert token.get_secret_value() == "xoxb-from-file"


def test_a_setting_set_under_two_spellings_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHINAUMS_ENV and chinaums_env both set: which wins would depend on the order."""
    monkeypatch.setenv("CHINAUMS_ENV", "prod")
    monkeypatch.setenv("chinaums_env", "sandbox")
    with pytest.raises(ConfigError, match=r"^CHINAUMS_ENV is set twice, as "):
        load_settings()


@pytest.mark.parametrize(
    ("make", "shown"),
    [
        (lambda d: "xoxb-1234-REALSECRET", "the path it holds"),
        (lambda d: "redis://:pw@redis:6379/0", "the path it holds"),
        (lambda d: f"{d}/missing", "{d}/missing"),
    ],
    ids=["a-token", "a-url", "an-absolute-path"],
)
def test_a_file_variable_holding_no_absolute_path_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, make: object, shown: str
) -> None:
    """A secret pasted into SLACK_BOT_TOKEN_FILE is not shown in the refusal; a path is."""
    value = make(tmp_path)  # type: ignore[operator]  # the parametrised lambdas
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f"SLACK_BOT_TOKEN_FILE: cannot read {shown.format(d=tmp_path)}: No such file or directory"
    )


def test_a_fifo_as_a_secret_file_is_refused_without_waiting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    """A FIFO nobody writes to would block the start forever: it is no regular file."""
    fifo = f"{tmp_path}/fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("SLACK_SIGNING_SECRET_FILE", fifo)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f"SLACK_SIGNING_SECRET_FILE: {fifo} is not a regular file (a pipe, a device)"
    )
