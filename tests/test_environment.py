"""Values as people paste them: one trailing line break dropped, anything else odd refused."""

from __future__ import annotations

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
