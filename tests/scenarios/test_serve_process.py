"""`qrinfo serve` as a real process: how it stops (SIGTERM and Ctrl-C, to the process or its
whole group, under `uv run` or as the installed entry point), and what it tells probes."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from bot.kit.simulate import slash_command_body
from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.wiring.stopping import ECHO_SECONDS
from tests.processes import (
    INSTALLED,
    SECRET,
    Serve,
    eventually,
    get,
    sandbox_on_loopback,
    send_commands,
    serve_env,
)
from tests.slack.fakes import APP_TOKEN, BOT_TOKEN, FakeSlackApi

pytestmark = pytest.mark.processes  # every test here starts the bot or a container


def uv_run() -> tuple[str, ...]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (the README's commands need it)")
    return (uv, "run", "--frozen", "qrinfo")


@pytest.fixture
async def slow_sandbox_url() -> AsyncIterator[str]:
    """The sandbox gateway on loopback, each lookup taking 600 ms: a stop finds them running."""
    async with sandbox_on_loopback(SandboxGateway(faults=FaultConfig(latency_ms=600))) as url:
        yield url


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("launcher", ["uv run", "installed"])
async def test_a_stop_sent_to_the_process_group_answers_every_acked_lookup(
    slow_sandbox_url: str, slack_api: FakeSlackApi, tmp_path: Path, launcher: str, signum: int
) -> None:
    """Thirty commands acked, then the signal to the whole group (under `uv run` the bot gets
    it twice, once forwarded): all thirty cards arrive and the process exits 0."""
    env = serve_env(
        slack_api,
        tmp_path,
        CHINAUMS_BASE_URL=slow_sandbox_url,
        SLACK_SIGNING_SECRET=SECRET,
    )
    command = uv_run() if launcher == "uv run" else INSTALLED
    serve = await Serve.start(env, "--http", command=command)
    try:
        base = await serve.base_url()
        async with ResponseSink() as sink:
            await send_commands(base, sink, 30)
            serve.signal_group(signum)
            assert await serve.exit_code() == 0
            assert sink.count == 30
            assert len({(await sink.next(1)).path for _ in range(30)}) == 30
        assert not [line for line in serve.stderr if "still running" in line], serve.stderr
    finally:
        await serve.close()


async def test_sigterm_again_and_again_does_not_cut_the_drain(
    slow_sandbox_url: str, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """SIGTERM, then two more once the first is taken (a supervisor asking again): each is
    logged as ignored, the lookups in flight still get their cards, and the process exits 0."""
    env = serve_env(
        slack_api,
        tmp_path,
        CHINAUMS_BASE_URL=slow_sandbox_url,
        SLACK_SIGNING_SECRET=SECRET,
    )
    serve = await Serve.start(env, "--http", verbose=True)
    try:
        base = await serve.base_url()
        async with ResponseSink() as sink:
            await send_commands(base, sink, 10)
            serve.child.send_signal(signal.SIGTERM)
            assert "stopping on SIGTERM" in await serve.line()
            for _ in range(2):  # one at a time: signals sent together may arrive as one
                serve.child.send_signal(signal.SIGTERM)
                while "SIGTERM while stopping" not in await serve.line():
                    pass
            assert await serve.exit_code() == 0
            assert sink.count == 10
    finally:
        await serve.close()


async def test_socket_mode_answers_a_command_and_shuts_down_cleanly(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """With SLACK_APP_TOKEN set: connect, ack the envelope, reply to the response_url, exit 0."""
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_APP_TOKEN=APP_TOKEN))
    try:
        base = await serve.base_url()
        async with ResponseSink() as sink, aiohttp.ClientSession() as session:
            await asyncio.wait_for(slack_api.socket_open.wait(), 20)
            assert slack_api.socket is not None
            # Socket Mode delivers the command's fields as a JSON object, not a form body.
            payload = dict(parse_qsl(slash_command_body("help", response_url=sink.url())))
            await slack_api.socket.send_json(
                {
                    "envelope_id": "env-1",
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": payload,
                }
            )
            ack = await asyncio.wait_for(slack_api.from_bot.get(), 10)
            assert ack["envelope_id"] == "env-1"
            card = await sink.next(10)
            assert "/qrinfo 898340149000005" in card.payload["text"]
            async with session.get(base + "/healthz") as response:
                health = await response.json()
            assert health["mode"] == "socket"
            assert health["socket_connected"] is True
            assert await get(base + "/readyz") == (200, {"ready": True})
            serve.child.send_signal(signal.SIGTERM)
            assert await serve.exit_code() == 0
            assert [line for line in serve.stderr if "ERROR" in line or "Traceback" in line] == []
    finally:
        await serve.close()


async def test_socket_mode_with_a_refused_app_token_exits_4_with_one_line(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """apps.connections.open says invalid_auth: one line naming SLACK_APP_TOKEN, exit 4."""
    env = serve_env(slack_api, tmp_path, SLACK_APP_TOKEN="xapp-revoked-0000")
    serve = await Serve.start(env)
    try:
        assert await serve.exit_code() == 4
        assert (
            serve.stderr[-1]
            == "configuration error: SLACK_APP_TOKEN: Slack refused it (invalid_auth)"
        )
        assert not [line for line in serve.stderr if "Traceback" in line or "ERROR" in line]
        assert len(slack_api.of("apps.connections.open")) == 1
    finally:
        await serve.close()


async def test_sigterm_while_socket_mode_keeps_failing_to_connect_ends_the_process(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Slack's connection endpoint keeps failing: the replica is live but not ready (nothing
    can reach it), and the retries never block a SIGTERM."""
    slack_api.connections_failures = 1_000
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_APP_TOKEN=APP_TOKEN))
    try:
        base = await serve.base_url()
        await slack_api.wait_for("apps.connections.open", wait=20)
        assert "cannot open a Socket Mode connection" in await serve.line()
        assert await get(base + "/livez") == (200, {"live": True})
        status, ready = await get(base + "/readyz")
        assert (status, str(ready["reason"])) == (
            503,
            "no Socket Mode connection: " + ("Slack cannot deliver anything to this replica"),
        )
        await serve.stops_cleanly()
    finally:
        await serve.close()


async def test_sigterm_while_auth_test_waits_ends_the_process_in_one_line(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Slack never answers auth.test: a SIGTERM then exits 0 with one line, not a kill."""
    slack_api.silent.add("auth.test")
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET))
    try:
        await slack_api.wait_for("auth.test", wait=20)
        serve.child.send_signal(signal.SIGTERM)
        assert "stopped before start" in await serve.line()
        assert await serve.exit_code() == 0
        assert serve.stderr == [serve.stderr[0]]  # that line, nothing else
    finally:
        await serve.close()


async def test_while_draining_it_is_live_but_not_ready_and_a_second_ctrl_c_stops_at_once(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """A lookup that would run a minute: after SIGTERM /livez stays 200 and /readyz (and
    /healthz) say 503; Ctrl-C a moment later ends the process, saying what was cut."""
    env = serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET, CHINAUMS_TIMEOUT="60")
    serve = await Serve.start(env, "--http")
    try:
        base = await serve.base_url()
        assert await get(base + "/readyz") == (200, {"ready": True})
        assert await get(base + "/livez") == (200, {"live": True})
        async with ResponseSink() as sink:
            await send_commands(base, sink, 1, hang=True)
            serve.child.send_signal(signal.SIGTERM)
            assert "stopping on SIGTERM" in await serve.line()
            assert await get(base + "/livez") == (200, {"live": True})
            status, ready = await get(base + "/readyz")
            assert (status, ready["ready"]) == (503, False)
            assert str(ready["reason"]).startswith("draining")
            assert (await get(base + "/healthz"))[0] == 503
            serve.child.send_signal(signal.SIGINT)  # at once: the echo of a group signal
            await asyncio.sleep(ECHO_SECONDS + 0.2)  # a person's second Ctrl-C comes later
            assert serve.child.returncode is None
            assert (await get(base + "/livez"))[0] == 200  # still draining
            serve.child.send_signal(signal.SIGINT)
            # exit_code() waits at most 20 s: the drain alone would take the lookup's 60.
            assert await serve.exit_code() == 0
            assert sink.count == 0
            assert any("1 lookups still running at exit" in line for line in serve.stderr)
    finally:
        await serve.close()


async def test_serve_without_chinaums_env_will_not_answer_people_from_the_sandbox(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Only the Slack variables set: one line naming CHINAUMS_ENV, exit 4, before any call
    to Slack (demo and query may still fall back on the sandbox; serve may not)."""
    env = serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET)
    del env["CHINAUMS_ENV"]
    serve = await Serve.start(env, "--http")
    try:
        assert await serve.exit_code() == 4
        assert len(serve.stderr) == 1
        assert serve.stderr[0].startswith("configuration error: CHINAUMS_ENV: not set, and serve ")
        assert "CHINAUMS_ENV=sandbox" in serve.stderr[0]
        assert slack_api.of("auth.test") == []
    finally:
        await serve.close()


async def test_serve_names_every_gateway_it_will_call_and_no_secret(
    slow_sandbox_url: str, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """The start-up lines say which environment answers from which origin, never a key."""
    env = serve_env(
        slack_api,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        CHINAUMS_ENV="test",
        CHINAUMS_BASE_URL=slow_sandbox_url + "/some/path",
        CHINAUMS_APP_ID="app-id-test",
        CHINAUMS_APP_KEY="KEY-NEVER-SHOWN-1",
        CHINAUMS_PROD_APP_ID="app-id-prod",
        CHINAUMS_PROD_APP_KEY="KEY-NEVER-SHOWN-2",
    )
    serve = await Serve.start(env, "--http")
    try:
        await serve.base_url()
        named = [line for line in serve.stderr if "qrinfo asks" in line]
        assert len(named) == 1
        assert named[0].endswith(
            f"qrinfo asks the test gateway at {slow_sandbox_url} (the default) and the prod "
            "gateway at https://api-mop.chinaums.com"
        )
        await serve.stops_cleanly()
        assert not [line for line in serve.stderr if "KEY-NEVER-SHOWN" in line]
    finally:
        await serve.close()


async def test_serve_on_the_sandbox_by_name_says_so(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """CHINAUMS_ENV=sandbox: it serves, and its start-up line says the answers are the
    sandbox's."""
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET))
    try:
        await serve.base_url()
        assert any(
            line.endswith(
                "qrinfo asks the sandbox gateway at the built-in sandbox, in this process"
            )
            for line in serve.stderr
        )
    finally:
        await serve.close()


@pytest.mark.parametrize(
    "url",
    [
        "redis://:Zq9/Xv#Wt?Yu@127.0.0.1:6379/0",
        "redis://bot:Zq9#Xv@127.0.0.1:6379/0",
        "redis://:Zq9?Xv/Wt@127.0.0.1/0",
        "unix://:Zq9/Xv@/run/redis/redis.sock",
        "unix://:Zq9?Xv@/run/redis.sock",
        "redis://127.0.0.1:6399/0?password=Zq9&Xv=1",
        "redis://127.0.0.1:6399/0?Zq9=Xv",
        "redis://:Zq9@127.0.0.1:6399/0?ssl_cert_reqs=none",
        "rediss://:Xv@127.0.0.1:6399/0?ssl_cert_reqs=Zq9",
    ],
    ids=[
        "slash-hash-question",
        "hash",
        "question-slash",
        "unix-slash",
        "unix-question",
        "query-ampersand",
        "unknown-option",
        "tls-option-without-tls",
        "tls-option-not-a-flag",
    ],
)
async def test_a_redis_password_that_is_not_percent_encoded_is_never_shown(
    slack_api: FakeSlackApi, tmp_path: Path, url: str
) -> None:
    """Generated passwords hold / # ?, which end the URL's parts early: one line says to
    percent-encode them, and holds no piece of the password; nothing is asked of Slack."""
    env = serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET, QRINFO_REDIS_URL=url)
    serve = await Serve.start(env, "--http")
    try:
        assert await serve.exit_code() == 4
        assert len(serve.stderr) == 1
        assert serve.stderr[0].startswith("configuration error: QRINFO_REDIS_URL: not a URL whose")
        assert "percent-encoded" in serve.stderr[0]
        assert not [piece for piece in ("Zq9", "Xv", "Wt", "Yu") if piece in serve.stderr[0]]
        assert slack_api.of("auth.test") == []
    finally:
        await serve.close()


async def audit_health(base: str) -> dict[str, Any]:
    status, health = await get(base + "/healthz")
    assert status == 200
    audit = health["audit"]
    assert isinstance(audit, dict)
    return audit


def audit_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("audit"))


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


async def test_the_audit_trail_follows_logrotate_and_sighup_never_stops_the_bot(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Renamed, then removed: the next line goes to a fresh file at the path, not the old
    one. SIGHUP is logged and serving goes on. A path that cannot be opened shows in
    /healthz and /metrics as lines lost, and recovers."""
    trail = tmp_path / "audit.jsonl"
    env = serve_env(slack_api, tmp_path, SLACK_SIGNING_SECRET=SECRET, QRINFO_AUDIT_LOG=str(trail))
    serve = await Serve.start(env, "--http")
    try:
        base = await serve.base_url()
        async with ResponseSink() as sink:

            async def look_up() -> None:
                await send_commands(base, sink, 1)
                await sink.next(10)

            await look_up()
            await eventually(lambda: lines(trail) == 1)
            trail.rename(tmp_path / "audit.jsonl.1")  # logrotate's default: rename
            await look_up()
            await eventually(lambda: lines(trail) == 1)
            assert lines(tmp_path / "audit.jsonl.1") == 1
            trail.unlink()
            await look_up()
            await eventually(lambda: lines(trail) == 1)

            serve.child.send_signal(signal.SIGHUP)
            assert "SIGHUP: the audit trail is opened afresh" in await serve.line()
            assert await get(base + "/livez") == (200, {"live": True})
            await look_up()
            await eventually(lambda: lines(trail) == 2)

            trail.unlink()
            trail.mkdir()  # the path can no longer be opened as a file
            await look_up()

            async def failing() -> bool:
                return not (await audit_health(base))["ok"]

            await eventually(failing)
            assert (await audit_health(base))["lines_lost"] == 1
            async with aiohttp.ClientSession() as session, session.get(base + "/metrics") as r:
                assert "qrinfo_audit_lines_lost_total 1.0" in await r.text()
            trail.rmdir()
            await look_up()
            await eventually(lambda: lines(trail) == 1)
            assert (await audit_health(base))["ok"] is True
        await serve.stops_cleanly()
    finally:
        await serve.close()


@pytest.mark.parametrize("mode", ["--http", "--socket"])
async def test_metrics_can_have_a_port_of_their_own(
    slack_api: FakeSlackApi, tmp_path: Path, mode: str
) -> None:
    """QRINFO_METRICS_PORT: /metrics answers there and no longer on PORT (which may face the
    internet); the probes stay on PORT."""
    env = serve_env(
        slack_api,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN=APP_TOKEN,
        QRINFO_METRICS_PORT="0",
    )
    serve = await Serve.start(env, mode)
    try:
        base = await serve.base_url()
        metrics_base = next(
            match.group(1)
            for line in serve.stderr
            if (match := re.search(r"qrinfo metrics on (http://\S+)/metrics$", line))
        )
        assert metrics_base != base
        async with aiohttp.ClientSession() as session:
            async with session.get(metrics_base + "/metrics") as response:
                assert response.status == 200
                assert "qrinfo_lookups_in_flight" in await response.text()
            async with session.get(base + "/metrics") as response:
                assert response.status == 404
        assert (await get(base + "/livez"))[0] == 200
        await serve.stops_cleanly()
    finally:
        await serve.close()


async def test_a_signing_secret_and_audit_path_pasted_with_a_newline_are_read_without_it(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """`echo`'d secrets and paths end in a line break: the signing secret still verifies
    Slack's requests and the audit file's name has no line break in it."""
    trail = tmp_path / "audit.jsonl"
    env = serve_env(
        slack_api,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET + "\n",
        SLACK_BOT_TOKEN=BOT_TOKEN + "\r\n",
        CHINAUMS_ENV="sandbox\n",
        QRINFO_AUDIT_LOG=f"{trail}\n",
    )
    serve = await Serve.start(env, "--http")
    try:
        base = await serve.base_url()
        async with ResponseSink() as sink:
            await send_commands(base, sink, 1)  # 200: verified with the secret less its "\n"
            assert (await sink.next(10)).payload["response_type"] == "ephemeral"
        await eventually(lambda: lines(trail) == 1)
        assert audit_files(tmp_path) == [trail.name]
        await serve.stops_cleanly()
    finally:
        await serve.close()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SLACK_SIGNING_SECRET", '"8f14e45fceea167a"', "is wrapped in quotes"),
        ("SLACK_SIGNING_SECRET", " 8f14e45fceea167a", "begins or ends with a space"),
        ("SLACK_BOT_TOKEN", "xoxb-1\n\n", "holds a line break at character 7"),
        ("CHINAUMS_APP_ID", "app\tid", "holds a tab at character 4"),
    ],
    ids=["quoted", "space", "two-line-breaks", "tab"],
)
async def test_a_setting_pasted_wrong_stops_serve_in_one_line_naming_it(
    slack_api: FakeSlackApi, tmp_path: Path, variable: str, value: str, says: str
) -> None:
    """Exit 4 and one line naming the variable and what is wrong, never its value; nothing is
    asked of Slack."""
    env = serve_env(
        slack_api,
        tmp_path,
        SLACK_SIGNING_SECRET=SECRET,
        CHINAUMS_ENV="prod",
        CHINAUMS_APP_ID="app-id",
        CHINAUMS_APP_KEY="key",
    )
    serve = await Serve.start(env | {variable: value}, "--http")
    try:
        assert await serve.exit_code() == 4
        assert len(serve.stderr) == 1
        assert serve.stderr[0].startswith(f"configuration error: {variable}: {says}")
        assert value.strip(' "\n\t') not in serve.stderr[0]
        assert slack_api.of("auth.test") == []
    finally:
        await serve.close()


async def test_a_socket_mode_stop_acks_every_envelope_it_answers(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    """Forty envelopes, then SIGTERM at once: every envelope the bot answers with a card it
    has acked on the socket before closing it (an unacked one is delivered again elsewhere),
    with no ERROR or traceback; those it left unacked get no card from it."""
    serve = await Serve.start(serve_env(slack_api, tmp_path, SLACK_APP_TOKEN=APP_TOKEN))
    try:
        await serve.base_url()
        async with ResponseSink() as sink:
            await asyncio.wait_for(slack_api.socket_open.wait(), 20)
            assert slack_api.socket is not None
            for i in range(40):
                text = f"898340149000005 BNCH{i:022d}"
                payload = dict(parse_qsl(slash_command_body(text, response_url=sink.url(f"/{i}"))))
                envelope = {"envelope_id": f"env-{i}", "type": "slash_commands", "payload": payload}
                await slack_api.socket.send_json(envelope | {"accepts_response_payload": True})
            first = await asyncio.wait_for(slack_api.from_bot.get(), 10)  # the stop is mid-way
            serve.child.send_signal(signal.SIGTERM)
            assert await serve.exit_code() == 0
            acked = {first["envelope_id"]}
            while not slack_api.from_bot.empty():
                acked.add(slack_api.from_bot.get_nowait()["envelope_id"])
            carded = {f"env-{(await sink.next(1)).path.strip('/')}" for _ in range(sink.count)}
        assert carded == acked
        assert [line for line in serve.stderr if "ERROR" in line or "Traceback" in line] == []
    finally:
        await serve.close()
