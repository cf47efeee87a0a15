"""The /qrinfo listener: what each kind of text gets (help, bad input, status, a lookup),
dispatched as a signed command on the real app."""

from __future__ import annotations

from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.listeners.commands import COMMAND
from tests.slack.helpers import SEED_TEXT, WAIT, AppFactory, all_text, ask, lookups, run_command


def test_the_command_is_qrinfo() -> None:
    assert COMMAND == "/qrinfo"


async def test_help_is_the_usage_card_naming_the_bots_gateway(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    app, services = make_app.build()
    said = all_text(await ask(app, sink, "help"))
    assert "Look inside a Chinaums payment QR code" in said
    assert "connected to the built-in sandbox gateway" in said
    assert sandbox.query_requests == 0
    assert lookups(services) == {}


async def test_bad_input_is_explained_recorded_as_invalid_and_nothing_is_asked(
    make_app: AppFactory, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    app, services = make_app.build()
    said = all_text(await ask(app, sink, "898340149000005"))
    assert "That is one argument" in said
    assert lookups(services) == {("command", "invalid"): 1.0}
    assert sandbox.query_requests == 0


async def test_status_is_refused_to_someone_who_is_not_an_operator(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    said = all_text(await ask(make_app(), sink, "status"))
    assert "Only the bot's operators can see this" in said


async def test_a_lookup_replies_with_its_card_and_is_recorded_as_found(
    make_app: AppFactory, sink: ResponseSink
) -> None:
    app, services = make_app.build()
    response = await run_command(app, SEED_TEXT, sink)
    assert (response.status, response.body) == (200, "")
    card = (await sink.next(WAIT)).payload
    assert card["response_type"] == "ephemeral"
    assert "in 12 instalments" in all_text(card)
    assert lookups(services) == {("command", "found"): 1.0}
