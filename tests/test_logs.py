"""QRINFO_LOG_FORMAT=json: one JSON object a line, the libraries' too, each with its lookup."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, NoReturn

import pytest

import bot.slack.listeners.listening
from bot.config import log_format_setting
from bot.gateway.transport import new_http_client
from bot.kit.simulate import DEMO_TEAM, DEMO_USER
from bot.kit.sink import ResponseSink
from bot.logs import bind, bind_now, configure, fail_line
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from bot.sandbox.transport import SandboxTransport
from bot.service.lookup import Outcome
from tests.slack.fakes import serve_fake_slack
from tests.slack.helpers import SEED_TEXT, WAIT, AppFactory, all_text, run_command

ISO_UTC_MILLISECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
MSG_ID = re.compile(r"qri[0-9a-f]{32}")
LOOKUP_KEYS = {"msgId", "team", "user", "action"}

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    """Whatever a test configures (main() included) is gone after it, the root's level too."""
    root = logging.getLogger()
    level = root.level
    yield
    configure("text", verbose=False)  # replaces the handler the test installed, if any,
    root.removeHandler(root.handlers[-1])  # with one, taken away here
    root.setLevel(level)


@pytest.fixture
def raw() -> io.StringIO:
    """What the root logger writes: JSON, INFO and up."""
    stream = io.StringIO()
    configure("json", verbose=True, stream=stream)
    return stream


@pytest.fixture
def lines(raw: io.StringIO) -> Lines:
    """Every line written so far, parsed: a line that is not one JSON object fails the test."""
    return lambda: [json.loads(line) for line in raw.getvalue().splitlines()]


def lookup_fields(line: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in line.items() if key in LOOKUP_KEYS}


# --- the format ----------------------------------------------------------------------------------


def test_a_library_line_is_one_json_object(lines: Lines) -> None:
    """A line from Bolt's logger: time (UTC, milliseconds), level, logger and message."""
    logging.getLogger("slack_bolt.App").warning("listener %s took too long", "qrinfo")
    [line] = lines()
    assert ISO_UTC_MILLISECONDS.fullmatch(line.pop("time"))
    assert line == {
        "level": "WARNING",
        "logger": "slack_bolt.App",
        "message": "listener qrinfo took too long",
    }


def test_a_traceback_stays_inside_its_one_json_line(raw: io.StringIO, lines: Lines) -> None:
    """An exception logged with exc_info is one line; the traceback is a string in it."""
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        logging.getLogger("aiohttp.server").exception("error handling request")
    assert raw.getvalue().count("\n") == 1
    [line] = lines()
    assert line["message"] == "error handling request"
    assert line["exc_info"].startswith("Traceback (most recent call last):\n")
    assert line["exc_info"].endswith("ZeroDivisionError: division by zero")


def test_extra_attributes_a_library_adds_are_left_out(lines: Lines) -> None:
    """stamina's retry hook puts a call's arguments on its record: they stay out of the line."""
    logging.getLogger("stamina").warning(
        "stamina.retry_scheduled", extra={"stamina.args": ("xoxb-SECRET",)}
    )
    [line] = lines()
    assert set(line) == {"time", "level", "logger", "message"}


def test_text_stays_as_it_was_without_the_lookup() -> None:
    """Text: 'asctime level logger: message', as before; no lookup fields, even inside one."""
    stream = io.StringIO()
    configure("text", verbose=False, stream=stream)
    with bind(team="T1", user="U1", action="command", msgId="qri1"):
        logging.getLogger("slack_bolt.App").warning("hello")
        logging.getLogger("httpx").info("not shown without --verbose")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING slack_bolt\.App: hello\n", stream.getvalue()
    )


def test_configuring_again_replaces_the_handler(raw: io.StringIO) -> None:
    """configure() twice: each line is written once, by the second handler."""
    again = io.StringIO()
    configure("json", verbose=True, stream=again)
    logging.getLogger("bot.test").info("once")
    assert (raw.getvalue(), again.getvalue().count("\n")) == ("", 1)


# --- the lookup's fields -----------------------------------------------------------------------


def test_lines_inside_a_bind_carry_the_lookup_and_after_it_none(lines: Lines) -> None:
    """bind() and bind_now() inside it: all four fields; after the block, none of them."""
    with bind(team="T1", user="U1", action="command"):
        bind_now(msgId="qri1")
        logging.getLogger("httpx").info("inside")
    logging.getLogger("httpx").info("after")
    inside, after = lines()
    assert lookup_fields(inside) == {
        "msgId": "qri1",
        "team": "T1",
        "user": "U1",
        "action": "command",
    }
    assert lookup_fields(after) == {}


def test_a_field_given_as_none_is_left_out(lines: Lines) -> None:
    """A user id Slack did not send is no "user": null, just no key."""
    with bind(team="T1", user=None, action="share"):
        logging.getLogger("bot.test").warning("who?")
    [line] = lines()
    assert lookup_fields(line) == {"team": "T1", "action": "share"}


async def test_a_task_started_inside_a_bind_carries_its_fields(lines: Lines) -> None:
    """A task copies the fields when it is created, and keeps them after the block ends."""

    async def later() -> None:
        await asyncio.sleep(0)
        logging.getLogger("httpx").info("in the task")

    with bind(team="T1", user="U1", action="refresh"):
        task = asyncio.create_task(later())
    await task
    [line] = lines()
    assert lookup_fields(line) == {"team": "T1", "user": "U1", "action": "refresh"}


async def test_bind_now_in_a_task_of_its_own_stays_in_that_task(lines: Lines) -> None:
    """The gateway call's task binds its msgId: its lines have it, its creator's do not."""

    async def call() -> None:
        bind_now(msgId="qri1")
        logging.getLogger("bot.gateway.client").info("attempt failed")

    await asyncio.create_task(call())
    logging.getLogger("bot.test").info("after the call")
    assert [lookup_fields(line) for line in lines()] == [{"msgId": "qri1"}, {}]


async def test_two_lookups_at_once_do_not_see_each_others_fields(lines: Lines) -> None:
    """Two tasks bind different lookups and log while both are inside: each line is its own."""
    both_inside = asyncio.Barrier(2)

    async def lookup(team: str) -> None:
        with bind(team=team, user=f"U{team}", action="command"):
            await both_inside.wait()
            bind_now(msgId=f"qri-{team}")
            await asyncio.sleep(0)
            logging.getLogger("bot.test").warning("from %s", team)

    await asyncio.gather(lookup("T1"), lookup("T2"))
    seen = sorted((line["message"], line["team"], line["user"], line["msgId"]) for line in lines())
    assert seen == [("from T1", "T1", "UT1", "qri-T1"), ("from T2", "T2", "UT2", "qri-T2")]


def test_an_error_leaving_a_lookup_is_logged_with_its_fields(lines: Lines) -> None:
    """Logged outside the block (where the error handler is), the error still names its lookup."""
    try:
        with bind(team="T1", user="U1", action="command"):
            bind_now(msgId="qri1")
            raise RuntimeError("renderer broke")
    except RuntimeError as exc:
        logging.getLogger("bot.slack.webapi.replies").error("unexpected error err-1", exc_info=exc)
    [line] = lines()
    assert lookup_fields(line) == {"msgId": "qri1", "team": "T1", "user": "U1", "action": "command"}


# --- a real lookup through the real app --------------------------------------------------------


@pytest.fixture
def sandbox() -> SandboxGateway:
    return SandboxGateway()


@pytest.fixture
async def make_app(sandbox: SandboxGateway) -> AsyncIterator[AppFactory]:
    async with new_http_client(transport=SandboxTransport(sandbox)) as http:
        async for slack in serve_fake_slack():
            factory = AppFactory(http, slack)
            yield factory
            await factory.close()


@pytest.fixture
async def sink() -> AsyncIterator[ResponseSink]:
    async with ResponseSink() as server:
        yield server


async def test_every_line_of_a_lookup_carries_its_msgid(
    make_app: AppFactory, sandbox: SandboxGateway, sink: ResponseSink, lines: Lines
) -> None:
    """A lookup the gateway fails three times: every line logged for it, httpx's and the
    reply's included, is JSON and carries the msgId its card shows."""
    logging.getLogger().setLevel(logging.DEBUG)  # the reply's lines too
    sandbox.set_faults(FaultConfig(error_rate=1.0))
    app = make_app()
    assert (await run_command(app, SEED_TEXT, sink)).status == 200
    [msg_id] = set(MSG_ID.findall(all_text((await sink.next(WAIT)).payload)))
    await make_app.settled()
    in_lookup = [line for line in lines() if "team" in line]
    assert {line["logger"] for line in in_lookup} >= {
        "httpx",
        "bot.gateway.client",
        "slack_sdk.webhook.async_client",
    }
    for line in in_lookup:
        assert lookup_fields(line) == {
            "msgId": msg_id,
            "team": DEMO_TEAM,
            "user": DEMO_USER,
            "action": "command",
        }, line
    said_it = [line for line in lines() if msg_id in line["message"]]
    assert said_it  # "lookup attempt 1 failed msgId=…", "lookup failed msgId=…"
    assert all(line.get("msgId") == msg_id for line in said_it)


async def test_an_unexpected_error_in_a_lookup_is_one_line_with_traceback_and_msgid(
    make_app: AppFactory,
    sink: ResponseSink,
    raw: io.StringIO,
    lines: Lines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The card cannot be drawn: 'unexpected error err-…' is one JSON line, the traceback
    inside, with the msgId of the gateway call that had answered."""
    answered: list[str | None] = []

    def broken_card(outcome: Outcome, **_: object) -> NoReturn:
        answered.append(outcome.msg_id)
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(bot.slack.listeners.listening, "outcome_card", broken_card)
    app = make_app()
    await run_command(app, SEED_TEXT, sink)
    [reference] = re.findall(r"err-[0-9a-f]{12}", all_text((await sink.next(WAIT)).payload))
    await make_app.settled()
    [line] = [line for line in lines() if line["message"] == f"unexpected error {reference}"]
    assert (line["level"], line["logger"]) == ("ERROR", "bot.slack.webapi.replies")
    assert lookup_fields(line) == {
        "msgId": answered[0],
        "team": DEMO_TEAM,
        "user": DEMO_USER,
        "action": "command",
    }
    assert line["exc_info"].endswith("RuntimeError: renderer broke")
    assert raw.getvalue().count("\n") == len(lines())  # no traceback line of its own


async def test_a_reply_slack_refuses_is_logged_with_the_lookups_msgid(
    make_app: AppFactory, lines: Lines
) -> None:
    """The card is drawn but Slack answers 404: the warning carries the card's msgId."""
    async with ResponseSink(status=404) as refusing:
        await run_command(make_app(), SEED_TEXT, refusing)
        [msg_id] = set(MSG_ID.findall(all_text((await refusing.next(WAIT)).payload)))
        await make_app.settled()
    [line] = [line for line in lines() if line["message"].startswith("reply refused by Slack")]
    assert (line["level"], line["msgId"], line["action"]) == ("WARNING", msg_id, "command")


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.processes
def test_serve_with_a_bad_setting_says_so_in_one_json_line() -> None:
    """QRINFO_LOG_FORMAT=json PORT=abc qrinfo serve: exit 4, one JSON object on stderr."""
    done = subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "bot", "serve"],
        env=os.environ | {"QRINFO_LOG_FORMAT": "json", "PORT": "abc"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4
    [said] = done.stderr.splitlines()
    line = json.loads(said)
    assert ISO_UTC_MILLISECONDS.fullmatch(line.pop("time"))
    assert line == {
        "level": "ERROR",
        "logger": "qrinfo",
        "message": "configuration error: PORT: expected a port number 1-65535, or 0 for any "
        "free port, such as 3000; got 'abc'",
    }


def test_a_failure_line_is_the_message_itself_in_text() -> None:
    """Text: what _fail prints is unchanged, line breaks and all."""
    assert fail_line("rejected by the gateway: NO_BILL\nCheck the id", "text") == (
        "rejected by the gateway: NO_BILL\nCheck the id"
    )


def test_a_failure_line_of_two_lines_is_one_json_object() -> None:
    """JSON: a two-line failure is one object on one line; its message keeps the break."""
    line = fail_line("rejected by the gateway: NO_BILL\nCheck the id", "json")
    assert "\n" not in line
    assert json.loads(line)["message"] == "rejected by the gateway: NO_BILL\nCheck the id"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("json", "json"), ("JSON", "text"), ("text", "text"), ("", "text"), ("yaml", "text")],
    ids=["json", "upper-case-as-settings-refuse-it", "text", "empty", "unknown"],
)
def test_the_log_format_is_read_before_the_other_settings(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    """QRINFO_LOG_FORMAT alone: json in any case; anything else is text (the full load says why)."""
    monkeypatch.setenv("QRINFO_LOG_FORMAT", value)
    monkeypatch.setenv("PORT", "abc")  # the other settings may be wrong
    assert log_format_setting() == expected
