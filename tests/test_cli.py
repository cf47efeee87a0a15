"""The qrinfo command: output and exit codes, against the in-process sandbox or loopback servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest

from bot.cli import event_loop, main
from bot.sandbox.credentials import SANDBOX_APP_ID, SANDBOX_APP_KEY
from bot.sandbox.gateway import SandboxGateway
from tests.processes import sandbox_on_loopback
from tests.qr import decode_png, decode_terminal
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi, serve_fake_slack

SEED = ["898340149000005", "31942002268195125132885377"]
T = TypeVar("T")


@contextlib.contextmanager
def served_in_a_thread(server: AsyncIterator[T]) -> Iterator[T]:
    """Run a one-yield async generator's server on a loop of its own, so main() can own this one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def step() -> T | None:
        return await anext(server, None)

    try:
        started = asyncio.run_coroutine_threadsafe(step(), loop).result(10)
        assert started is not None
        yield started
        asyncio.run_coroutine_threadsafe(step(), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def serve_sandbox() -> AsyncIterator[tuple[SandboxGateway, str]]:
    gateway = SandboxGateway()
    async with sandbox_on_loopback(gateway) as url:
        yield gateway, url


@pytest.fixture
def sandbox_gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxGateway]:
    """A sandbox over loopback HTTP, which CHINAUMS_BASE_URL points at; it counts token requests."""
    with served_in_a_thread(serve_sandbox()) as (gateway, url):
        monkeypatch.setenv("CHINAUMS_BASE_URL", url)
        yield gateway


@pytest.fixture
def slack_for_serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeSlackApi]:
    """A fake Slack Web API and the settings `qrinfo serve --http` needs to get past auth.test."""
    with served_in_a_thread(serve_fake_slack()) as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli-test-signing-secret")
        monkeypatch.setenv("SLACK_API_URL", fake.url)
        monkeypatch.setenv("QRINFO_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
        yield fake


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket is listening on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def test_query_prints_the_seed_card_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """The seed's code: merchant, ¥0.02, 鸡蛋 × 1, expiry with its zone, QR URL."""
    assert main(["query", *SEED]) == 0
    out = capsys.readouterr().out
    assert "测试商户" in out
    assert "¥0.02" in out
    assert "鸡蛋 × 1" in out
    assert "2030-02-26 13:51:25 (UTC+8)" in out
    assert "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377" in out
    assert "msgId      qri" in out


def test_query_json_prints_the_parsed_reply(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints the model with the gateway's field names."""
    assert main(["query", "--json", *SEED]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["merName"] == "测试商户"
    assert data["totalAmount"] == 2
    assert data["expireTime"] == "2030-02-26 13:51:25"


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["898340149000005", "3194-2002"], 2, "bad input: `3194-2002` is not a QR code id"),
        (["898340149000005", "31940000000000000000000000"], 3, "NO_BILL"),
        (["898310058120123", SEED[1]], 3, "INVALID_MSGSRC"),
    ],
    ids=["bad-input", "unknown-code", "wrong-mid"],
)
def test_query_exit_codes_say_what_happened(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, says: str
) -> None:
    """2 for bad input, 3 for a gateway rejection, each with a message on stderr."""
    assert main(["query", *args]) == code
    assert says in capsys.readouterr().err


def test_query_exits_4_when_the_gateway_is_unavailable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hanging gateway: exit 4, 'unavailable' and the msgId on stderr."""
    monkeypatch.setenv("CHINAUMS_TIMEOUT", "0.3")
    assert main(["query", "898340149000005", "HANG0000000000000000000001"]) == 4
    err = capsys.readouterr().err
    assert "unavailable" in err
    assert "msgId qri" in err


def test_query_exits_4_on_bad_configuration(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad setting stops before any lookup, naming the variable."""
    monkeypatch.setenv("CHINAUMS_ENV", "prod")
    assert main(["query", *SEED]) == 4
    assert "CHINAUMS_APP_ID" in capsys.readouterr().err


def test_query_env_asks_the_gateway_beside_the_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process sandbox the default, a test gateway on loopback: --env test asks it."""
    with served_in_a_thread(serve_sandbox()) as (gateway, url):
        monkeypatch.setenv("CHINAUMS_TEST_BASE_URL", url)
        monkeypatch.setenv("CHINAUMS_TEST_APP_ID", SANDBOX_APP_ID)
        monkeypatch.setenv("CHINAUMS_TEST_APP_KEY", SANDBOX_APP_KEY)
        assert main(["query", "--env", "test", *SEED]) == 0
        assert gateway.query_requests == 1
        assert main(["query", *SEED]) == 0  # the default: answered in-process
        assert gateway.query_requests == 1
    assert "测试商户" in capsys.readouterr().out


def test_query_env_not_configured_names_the_settings(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sandbox_gateway: SandboxGateway,
) -> None:
    """--env for an environment with no gateway: one line naming its settings, exit 4."""
    monkeypatch.setenv("CHINAUMS_ENV", "test")
    monkeypatch.setenv("CHINAUMS_APP_ID", SANDBOX_APP_ID)
    monkeypatch.setenv("CHINAUMS_APP_KEY", SANDBOX_APP_KEY)
    assert main(["query", "--env", "prod", *SEED]) == 4
    err = capsys.readouterr().err
    assert "no gateway for production: set CHINAUMS_PROD_APP_ID and CHINAUMS_PROD_APP_KEY" in err
    assert sandbox_gateway.query_requests == 0


SEED_URL = "https://qr-test2.chinaums.com/bills/qrCode.do?id=31942002268195125132885377"
HTTP_CODE = ["898350148120555", "31942611251045330000889900"]  # its URL is plain http


def test_query_qr_prints_the_code_after_the_card(capsys: pytest.CaptureFixture[str]) -> None:
    """--qr: the card, then the code in half blocks, which reads back as the QR URL."""
    assert main(["query", "--qr", *SEED]) == 0
    out = capsys.readouterr().out
    card, drawing = out.split("\n█", 1)
    assert "测试商户" in card
    assert decode_terminal("█" + drawing) == [SEED_URL]


def test_query_qr_png_writes_the_code_as_a_png(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--qr-png FILE: the card on stdout, the PNG in FILE, decoding to the QR URL."""
    path = tmp_path / "seed.png"
    assert main(["query", *SEED, "--qr-png", str(path)]) == 0
    assert "测试商户" in capsys.readouterr().out
    assert decode_png(path.read_bytes()) == [SEED_URL]


@pytest.mark.parametrize("flag", [["--qr"], ["--qr-png", "code.png"]], ids=["qr", "qr-png"])
def test_query_does_not_draw_a_url_that_is_not_https_on_the_qr_hosts(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flag: list[str],
) -> None:
    """An http URL: the card, then one line saying why there is no drawing; exit 3, no file."""
    monkeypatch.chdir(tmp_path)
    assert main(["query", *HTTP_CODE, *flag]) == 3
    out, err = capsys.readouterr()
    assert "http://qr.chinaums.com/" in out
    assert "█" not in out
    assert err == (
        "cannot draw the QR code: its URL is not an https URL on the provider's QR hosts\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_query_qr_png_to_a_file_it_cannot_write_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A directory in FILE's place: one line naming it and why, no traceback."""
    assert main(["query", *SEED, "--qr-png", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"cannot write the QR code to {tmp_path}: Is a directory\n"


def test_query_qr_and_json_are_not_taken_together(capsys: pytest.CaptureFixture[str]) -> None:
    """A drawing would break the JSON: argparse refuses the pair, exit 2."""
    with pytest.raises(SystemExit) as done:
        main(["query", "--qr", "--json", *SEED])
    assert done.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_demo_prints_the_seed_card_through_the_real_app(capsys: pytest.CaptureFixture[str]) -> None:
    """`qrinfo demo` runs a signed command through the app and prints the seed's card."""
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("测试商户\n")
    assert "¥0.02  ·  in 12 instalments" in out
    assert "• 鸡蛋 × 1 @ ¥0.01 = ¥0.01" in out
    assert "[Open QR code] https://qr-test2.chinaums.com/bills/qrCode.do?id=" in out
    assert "SANDBOX" in out
    assert "acked in" in out


def test_demo_json_prints_the_exact_payload(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints what the app posted to the response_url."""
    assert main(["demo", "--json", "898340149000005 31940000000000000000000000"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["response_type"] == "ephemeral"
    assert "NO_BILL" in json.dumps(payload)


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`qrinfo --version` prints the version pyproject.toml declares and exits 0."""
    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "version"
    ]
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"qrinfo {declared}\n"


def test_demo_takes_the_two_arguments_unquoted(capsys: pytest.CaptureFixture[str]) -> None:
    """`qrinfo demo MID QRCODE` sends the same command text as the quoted form."""
    assert main(["demo", "--json", *SEED]) == 0
    unquoted = json.loads(capsys.readouterr().out)
    assert main(["demo", "--json", " ".join(SEED)]) == 0
    quoted = json.loads(capsys.readouterr().out)
    assert unquoted["blocks"][0] == quoted["blocks"][0]
    assert unquoted["blocks"][0]["text"]["text"] == "测试商户"


@pytest.mark.parametrize("command", [["query", *SEED], ["demo", *SEED]], ids=["query", "demo"])
def test_one_shot_commands_sign_each_request_whatever_chinaums_auth_says(
    sandbox_gateway: SandboxGateway, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """With CHINAUMS_AUTH=token, query and demo still use OPEN-BODY-SIG: no access token taken."""
    monkeypatch.setenv("CHINAUMS_AUTH", "token")
    assert main(command) == 0
    assert (sandbox_gateway.query_requests, sandbox_gateway.token_requests) == (1, 0)


@pytest.mark.parametrize("command", [["query", *SEED], ["demo", *SEED]], ids=["query", "demo"])
def test_auth_token_takes_one_access_token_when_asked(
    sandbox_gateway: SandboxGateway, command: list[str]
) -> None:
    """`--auth token` makes query and demo take an access token, once, and use it."""
    assert main([*command, "--auth", "token"]) == 0
    assert (sandbox_gateway.query_requests, sandbox_gateway.token_requests) == (1, 1)


def test_at_the_token_cap_query_says_what_it_is(
    sandbox_gateway: SandboxGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ten live tokens taken: the eleventh `--auth token` says so, not 'check the key'."""
    for _ in range(10):
        assert main([*["query", *SEED], "--auth", "token"]) == 0
    capsys.readouterr()
    assert main(["query", *SEED, "--auth", "token"]) == 4
    said = capsys.readouterr().err
    assert said.startswith("no access token: ")
    assert "too many live access tokens for this appId" in said
    assert "check the app id" not in said
    assert sandbox_gateway.query_requests == 10


@pytest.mark.parametrize("command", ["serve", "sandbox"])
@pytest.mark.parametrize("port", ["65536", "-1", "abc", "3000.5", "３０００", "²"])
def test_a_port_outside_1_to_65535_is_refused_saying_what_is_expected(
    capsys: pytest.CaptureFixture[str], command: str, port: str
) -> None:
    """--port takes 1-65535 (or 0): anything else is a usage error, exit 2, before any I/O."""
    with pytest.raises(SystemExit) as exited:
        main([command, f"--port={port}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port: expected a port number 1-65535, or 0 for any free port" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--latency-ms", "inf", "latency_ms must be a number of milliseconds from 0 to 3600000"),
        ("--jitter-ms", "nan", "jitter_ms must be a number of milliseconds from 0 to 3600000"),
        ("--latency-ms", "1e308", "latency_ms must be a number of milliseconds from 0 to 3600000"),
        ("--jitter-ms", "-1", "jitter_ms must be a number of milliseconds from 0 to 3600000"),
    ],
    ids=["latency-inf", "jitter-nan", "latency-1e308", "jitter-negative"],
)
def test_sandbox_refuses_fault_settings_outside_0_to_an_hour(
    capsys: pytest.CaptureFixture[str], busy_port: int, flag: str, value: str, says: str
) -> None:
    """inf, nan and latencies past the hang's hour end in one line and exit 2, before listening
    (a busy port shows that)."""
    assert main(["sandbox", flag, value, "--port", str(busy_port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bad fault setting: {says} (an hour), such as 500, got ")
    assert err.count("\n") == 1


def test_sandbox_on_a_busy_port_says_so_in_one_line(
    capsys: pytest.CaptureFixture[str], busy_port: int
) -> None:
    """A port in use ends `qrinfo sandbox` with one line and exit 4, not a traceback."""
    assert main(["sandbox", "--port", str(busy_port)]) == 4
    assert capsys.readouterr().err == (
        f"cannot listen on 127.0.0.1:{busy_port}: address already in use\n"
    )


@pytest.mark.parametrize(
    ("host", "says"),
    [("127.0.0.1", "address already in use"), ("192.0.2.1", "cannot assign requested address")],
    ids=["port-in-use", "address-not-on-this-host"],
)
def test_serve_that_cannot_listen_says_so_in_one_line(
    slack_for_serve: FakeSlackApi,
    capsys: pytest.CaptureFixture[str],
    busy_port: int,
    host: str,
    says: str,
) -> None:
    """A port in use, or an address this host does not have: one line, exit 4."""
    assert main(["serve", "--http", "--host", host, "--port", str(busy_port)]) == 4
    assert capsys.readouterr().err == (f"cannot listen on {host}:{busy_port}: {says}\n")
    assert len(slack_for_serve.of("auth.test")) == 1


async def _first_match(stream: asyncio.StreamReader, pattern: str) -> re.Match[str]:
    while line := (await asyncio.wait_for(stream.readline(), 20)).decode():
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"the process ended without printing {pattern!r}")


async def _healthy(url: str) -> bool:
    async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as response:
        return bool((await response.json())["ok"])


@pytest.mark.processes
async def test_serve_on_port_0_takes_a_free_port_and_prints_it(
    slack_api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`qrinfo serve --port 0` listens on a port the system picks and logs that port, not PORT."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "cli-test-signing-secret")
    monkeypatch.setenv("SLACK_API_URL", slack_api.url)
    monkeypatch.setenv("QRINFO_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1", "--port", "0",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        found = await _first_match(
            child.stderr, r"serving Slack requests on (http://127\.0\.0\.1:(\d+))/"
        )
        assert int(found[2]) not in {0, 3000}
        assert await _healthy(found[1])
        child.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(child.wait(), 20) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", r"http://127\.0\.0\.1"),
        ("[::1]", r"http://\[::1\]"),
        ("::1", r"http://\[::1\]"),
    ],
    ids=["ipv4", "ipv6-as-in-urls", "ipv6"],
)
@pytest.mark.processes
async def test_sandbox_on_port_0_takes_a_free_port_and_prints_it(host: str, url: str) -> None:
    """`qrinfo sandbox --port 0` prints the URL with the port it took, and answers there; an
    IPv6 address may be written as URLs write it."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--host", host, "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        found = await _first_match(child.stdout, rf"listening on ({url}:(\d+)) ")
        assert int(found[2]) != 0
        assert await _healthy(found[1])
        child.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(child.wait(), 20) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()


@pytest.mark.processes
def test_a_reader_that_goes_away_early_leaves_no_traceback(tmp_path: Path) -> None:
    """`qrinfo audit | head -1`: the output stops when head does, without a BrokenPipeError."""
    log = tmp_path / "audit.jsonl"
    event = {
        "time": "2026-11-25T10:00:00.000Z", "team": "T", "user": "U", "channel": "C",
        "action": "command", "mid": "898340149000005", "qrCodeId": "q" * 26,
        "outcome": "found", "msgId": "m", "durationMs": 3,
    }  # fmt: skip
    log.write_text((json.dumps(event) + "\n") * 5000)  # far more than a pipe holds
    child = subprocess.Popen(  # noqa: S603  # our own interpreter and module
        [sys.executable, "-m", "bot", "audit", "--file", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    assert child.stdout.readline().split()[0] == b"time"
    child.stdout.close()  # what `head -1` does
    assert child.wait(20) == 0
    assert child.stderr.read() == b""


def test_audit_with_a_file_needs_no_other_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """CHINAUMS_ENV=test without credentials does not stop reading a named audit file."""
    monkeypatch.setenv("CHINAUMS_ENV", "test")
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    assert main(["audit", "--file", str(log)]) == 0
    assert capsys.readouterr().out.split()[0] == "time"


def test_audit_file_dash_says_the_flag_wants_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    """--file - is refused naming the flag, not QRINFO_AUDIT_LOG."""
    assert main(["audit", "--file", "-"]) == 2
    assert capsys.readouterr().err == "--file - is not a file: pass the audit log's path\n"


@pytest.mark.parametrize(
    "args",
    [["query", *SEED], ["--help"], ["--version"], ["sandbox", "--port", "0"]],
    ids=["query", "help", "version", "sandbox"],
)
@pytest.mark.processes
def test_output_that_cannot_be_written_is_one_line_and_exit_1(args: list[str]) -> None:
    """`qrinfo … > /dev/full`: 'cannot write the output: …', exit 1, no traceback (the
    sandbox's banner too: its port was fine, it is stdout that failed)."""
    with open("/dev/full", "w") as full:  # a device, not a path to build
        done = subprocess.run(  # noqa: S603  # our own interpreter and module
            [sys.executable, "-m", "bot", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert (done.returncode, done.stderr) == (
        1,
        b"cannot write the output: No space left on device\n",
    )


@pytest.mark.processes
def test_a_closed_stdout_is_one_line_and_exit_1() -> None:
    """`qrinfo demo >&-`: nothing can be shown, and the exit says so (not a silent 0)."""
    done = subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "bot", "demo"],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),  # the child's own stdout, before exec
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, b"cannot write the output: stdout is closed\n")


def test_audit_refuses_a_pipe_and_a_device_instead_of_waiting_forever(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A FIFO with no writer would block, /dev/zero never ends: one line each, exit 2."""
    fifo = tmp_path / "audit.fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), "/dev/zero"):
        assert main(["audit", "--file", path]) == 2
        said = capsys.readouterr().err
        assert (
            said
            == f"cannot read the audit log at {path} (not a regular file, so not an audit log)\n"
        )


def test_audit_skips_an_endless_line_without_reading_it_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line of a megabyte (a file padded after a crash) is one skipped line; the rest reads."""
    event = {
        "time": "2026-11-25T10:00:00.000Z", "team": "T", "user": "U", "channel": "C",
        "action": "command", "mid": "898340149000005", "qrCodeId": "q" * 26,
        "outcome": "found", "msgId": "m", "durationMs": 3,
    }  # fmt: skip
    log = tmp_path / "audit.jsonl"
    log.write_bytes(b"\0" * 1_000_000 + b"\n" + json.dumps(event).encode() + b"\n")
    assert main(["audit", "--file", str(log)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2
    assert err == "skipped 1 line that is not an audit line\n"


def test_audit_reads_qrinfo_audit_log_without_needing_other_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """QRINFO_AUDIT_LOG set, CHINAUMS_ENV=test without credentials: the trail still reads."""
    log = tmp_path / "audit.jsonl"
    log.write_text("")
    monkeypatch.setenv("CHINAUMS_ENV", "test")
    monkeypatch.setenv("QRINFO_AUDIT_LOG", str(log))
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.split()[0] == "time"


def test_serve_with_a_redis_that_does_not_answer_exits_4_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line naming QRINFO_REDIS_URL (never its password), before Slack is asked."""
    monkeypatch.setenv("QRINFO_REDIS_URL", "redis://bot:hunter2@127.0.0.1:1/0")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-asked")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:1/api/")
    assert main(["serve", "--http", "--port", "0"]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("QRINFO_REDIS_URL: no answer from Redis at redis://127.0.0.1:1/0")
    assert "hunter2" not in err[0]


@pytest.mark.parametrize("url", ["http://redis:6379", "redis:6379", "postgres://x"])
def test_a_redis_url_that_is_no_redis_url_is_refused_at_start(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """serve reads QRINFO_REDIS_URL: one that is no Redis URL stops it, naming it."""
    monkeypatch.setenv("QRINFO_REDIS_URL", url)
    assert main(["serve"]) == 4
    assert (
        "QRINFO_REDIS_URL: expected a redis://, rediss:// or unix:// URL" in capsys.readouterr().err
    )


def test_demo_of_several_codes_prints_the_batch_card(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo of a batch prints its card with a Details button per line."""
    codes = ["BNCH0000000000000000000001", "BNCH0000000000000000000002"]
    assert main(["demo", SEED[0], *codes]) == 0
    out = capsys.readouterr().out
    assert "2 QR codes of merchant `898340149000005`" in out
    assert f"`{codes[1]}`  ✅ ¥1.00  ·  压测商户" in out
    assert out.count("[Details]") == 2


def test_query_env_is_never_answered_by_the_sandbox_standing_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No gateway for production configured: --env prod says so, even with the sandbox the
    default (checking credentials, a stand-in's answer would be a false success)."""
    assert main(["query", "--env", "prod", *SEED]) == 4
    said = capsys.readouterr()
    assert "no gateway for production: set CHINAUMS_PROD_APP_ID and" in said.err
    assert "测试商户" not in said.out


@pytest.mark.parametrize("name", ["", "  ", "-"])
def test_query_qr_png_without_a_file_name_is_refused_before_the_lookup(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """`--qr-png ""` or `-`: an argument error (exit 2), nothing looked up."""
    with pytest.raises(SystemExit) as caught:
        main(["query", *SEED, "--qr-png", name])
    assert caught.value.code == 2
    assert "expected a file name such as code.png" in capsys.readouterr().err


def qrinfo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`qrinfo ARGS` as a process of its own, with *env* beside the test's environment."""
    return subprocess.run(  # noqa: S603  # our own entry point, with arguments the test wrote
        [sys.executable, "-m", "bot", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "words",
    [
        ["898340149000005", "https://qr.95516.com/48020000/31942002268195125132885377"],
        [
            "https://qr.chinaums.com/bills/qrCode.do?id=31942002268195125132885377",
            "898340149000005",
        ],
        ["商户号：８９８３４０１４９０００００５，二维码：31942002268195125132885377。"],
        ["mid=898340149000005", "qr=31942002268195125132885377"],
        ["prod", "898340149000005", "31942002268195125132885377"],
    ],
    ids=["url", "url-first", "labels-full-width", "ascii-labels", "env-word"],
)
@pytest.mark.processes
def test_query_reads_what_slack_reads(words: list[str]) -> None:
    """URLs (routed by their host), labels, full-width digits and either order: the same
    reader as /qrinfo, so the seed is found (the sandbox standing in for production)."""
    done = qrinfo("query", *words)
    assert (done.returncode, done.stderr) == (0, "")
    for seen in ("测试商户", "898340149000005", "¥0.02", "qrCode.do?id=31942002268195125132885377"):
        assert seen in done.stdout


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["898340149000005"], "bad input: "),
        (["898340149000005", "3194-2002"], "bad input: `3194-2002` is not a QR code id"),
        (["898340149000005", *SEED[1:], "31940000000000000000000000"], "one QR code at a time"),
        (
            ["--env", "test", "898340149000005", "https://qr.95516.com/48020000/" + SEED[1]],
            "--env test asks the test gateway, but the code names prod",
        ),
        (["help"], "bad input: expected MID QRCODE, for example qrinfo query"),
    ],
    ids=["one-value", "bad-id", "two-codes", "env-against-host", "help"],
)
@pytest.mark.processes
def test_query_refuses_what_it_cannot_look_up_in_one_line(words: list[str], says: str) -> None:
    """Exit 2 and one line saying what is wrong, with an example; nothing is asked."""
    done = qrinfo("query", *words)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert says in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.processes
def test_a_one_shot_command_checks_only_the_settings_it_uses(tmp_path: Path) -> None:
    """PORT, SLACK_API_URL, a Redis URL and a missing bot token file mean nothing to query
    and demo; serve, which reads them, names one in one line."""
    serve_only = {
        "PORT": "abc",
        "SLACK_API_URL": "ftp://slack",
        "QRINFO_REDIS_URL": "redis://:a/b@host",
        "SLACK_BOT_TOKEN_FILE": str(tmp_path / "missing"),
        "QRINFO_AUDIT_LOG": "bad\tpath",
        "QRINFO_USER_RATE": "lots",
    }
    assert qrinfo("query", *SEED, **serve_only).returncode == 0
    assert qrinfo("demo", **(serve_only | {"QRINFO_USER_RATE": "30"})).returncode == 0
    served = qrinfo("serve", PORT="abc")
    assert served.returncode == 4
    assert served.stderr == (
        "configuration error: PORT: expected a port number 1-65535, or 0 for any free port, "
        "such as 3000; got 'abc'\n"
    )


@pytest.mark.processes
def test_query_with_an_app_id_pasted_with_a_newline_looks_up() -> None:
    """CHINAUMS_APP_ID ending in a line break used to end `qrinfo query` in a 97-line
    traceback (a control character in a header): now it is the id."""
    done = qrinfo("query", *SEED, CHINAUMS_APP_ID=SANDBOX_APP_ID + "\n")
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize("host", ["", "[]", " "])
def test_an_empty_host_is_refused_rather_than_read_as_every_address(
    capsys: pytest.CaptureFixture[str], host: str
) -> None:
    """`--host "$BIND"` with BIND unset would listen everywhere: exit 2 saying what is wanted."""
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--host", host])
    assert done.value.code == 2
    assert "expected an address such as 127.0.0.1, 0.0.0.0 or ::" in capsys.readouterr().err


@pytest.mark.processes
def test_a_metrics_port_that_is_the_serving_port_is_refused_naming_both() -> None:
    """QRINFO_METRICS_PORT equal to PORT: one line before anything listens, exit 4."""
    done = qrinfo("serve", PORT="18812", QRINFO_METRICS_PORT="18812", SLACK_BOT_TOKEN="xoxb-x")
    assert done.returncode == 4
    assert done.stderr == (
        "configuration error: QRINFO_METRICS_PORT: 18812 is also the port serve listens on "
        "(PORT or --port); choose another, or unset it to serve /metrics there\n"
    )


@pytest.mark.processes
def test_a_sandbox_latency_past_an_hour_is_refused_by_the_command() -> None:
    """`qrinfo sandbox --latency-ms 1e308` (a latency no event loop can wait) is exit 2 and one
    line, before anything listens."""
    done = qrinfo("sandbox", "--latency-ms", "1e308", "--port", "0")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "bad fault setting: latency_ms must be a number of milliseconds from 0 to 3600000"
    )
    assert done.stderr.count("\n") == 1


def test_serve_runs_on_uvloop_unless_asked_for_asyncios_loop() -> None:
    import uvloop  # noqa: PLC0415  # a dependency here (Linux)

    async def loop_kind() -> type:
        return type(asyncio.get_running_loop())

    with event_loop("uvloop") as runner:
        assert issubclass(runner.run(loop_kind()), uvloop.Loop)
    with event_loop("asyncio") as runner:
        assert not issubclass(runner.run(loop_kind()), uvloop.Loop)


def test_a_setting_of_another_loop_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHINAUMS_ENV", "sandbox")
    monkeypatch.setenv("QRINFO_EVENT_LOOP", "trio")
    assert main(["serve"]) != 0
    assert capsys.readouterr().err.strip().startswith("configuration error: QRINFO_EVENT_LOOP:")
