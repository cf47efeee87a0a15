"""The command line's parser (bot/arguments.py): each subcommand's flags, their defaults and
the checks argparse runs (ports, hosts, file names), without running a command."""

from __future__ import annotations

import pytest

from bot.arguments import build_parser


def parse(*args: str) -> dict[str, object]:
    return vars(build_parser().parse_args(list(args)))


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(list(args))
    assert caught.value.code == 2
    return capsys.readouterr().err


def test_query_takes_its_words_and_flags_with_their_defaults() -> None:
    parsed = parse("query", "898340149000005", "3194", "--qr-png", "code.png", "--env", "prod")
    assert parsed["text"] == ["898340149000005", "3194"]
    assert (parsed["qr_png"], parsed["env"], parsed["auth"], parsed["lang"]) == (
        "code.png",
        "prod",
        "body-sig",
        None,
    )
    assert (parsed["json"], parsed["qr"]) == (False, False)


def test_query_refuses_json_and_qr_together_and_an_unknown_env(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert "not allowed with argument" in refused(capsys, "query", "a", "--json", "--qr")
    assert "invalid choice: 'sandbox'" in refused(capsys, "query", "a", "--env", "sandbox")


@pytest.mark.parametrize("name", ["", " ", "-"])
def test_a_png_file_name_must_be_a_name(capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert "expected a file name such as code.png" in refused(
        capsys, "query", "a", "--qr-png", name
    )


def test_serve_listens_everywhere_on_the_configured_port_by_default() -> None:
    assert {k: v for k, v in parse("serve").items() if k != "verbose"} == {
        "command": "serve",
        "port": None,
        "host": "0.0.0.0",  # noqa: S104  # the default the test checks
        "mode": None,
    }
    assert parse("serve", "--socket")["mode"] == "socket"


@pytest.mark.parametrize(
    ("given", "host"), [("[::1]", "::1"), ("::", "::"), ("10.0.0.1", "10.0.0.1")]
)
def test_a_host_is_taken_as_urls_write_it_too(given: str, host: str) -> None:
    assert parse("sandbox", "--host", given)["host"] == host


@pytest.mark.parametrize("host", ["", "[]", "  "])
def test_an_empty_host_is_refused(capsys: pytest.CaptureFixture[str], host: str) -> None:
    assert "expected an address such as 127.0.0.1" in refused(capsys, "serve", "--host", host)


def test_ports_read_like_port_with_its_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse("serve", "--port", "0")["port"] == 0
    assert parse("sandbox")["port"] == 8700
    said = refused(capsys, "sandbox", "--port", "65536")
    assert "expected a port number 1-65535, or 0 for any free port" in said


def test_the_sandboxs_faults_default_to_none_and_demo_and_audit_take_theirs() -> None:
    sandbox = parse("sandbox", "--error-rate", "0.5", "--seed", "7")
    assert (sandbox["error_rate"], sandbox["seed"], sandbox["latency_ms"]) == (0.5, 7, 0.0)
    assert parse("demo", "--json", "--lang", "zh")["lang"] == "zh"
    audit = parse("audit", "--user", "U1", "--since", "2h")
    assert (audit["user"], audit["since"], audit["mid"], audit["file"]) == ("U1", "2h", None, None)


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert "required: COMMAND" in refused(capsys)
