"""Show QR code, as the handler: the file it sends (the PNG of the URL the gateway gives,
named by the checked id, with its caption), and a click without a user doing nothing."""

from __future__ import annotations

from dataclasses import replace

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.gateway.models import QrCodeInfo
from bot.i18n import ENGLISH
from bot.kit.sink import ResponseSink
from bot.sandbox.gateway import SandboxGateway
from bot.slack.cards.card import qr_caption
from bot.slack.listeners.show_qr import _qr_file, show_qr
from bot.slack.reading.button import encode_button_value
from tests.gateway.helpers import SEED_REPLY
from tests.qr import decode_png
from tests.slack.fakes import FakeSlackApi
from tests.slack.helpers import SEED, WHO, AppFactory, clicked_as

INFO = QrCodeInfo.model_validate(SEED_REPLY)


async def test_the_file_is_the_codes_png_named_by_its_id_with_its_caption() -> None:
    url = str(SEED_REPLY["qrCodeUrl"])
    file = await _qr_file(url, SEED, INFO, "sandbox", ENGLISH)
    assert decode_png(file.data) == [url]
    assert file.filename == f"qr-{SEED.qr_code_id}.png"
    assert file.title == file.alt_text == f"QR code {SEED.qr_code_id}"
    assert file.comment == qr_caption(INFO, "sandbox", ENGLISH)


async def test_a_click_without_a_user_looks_nothing_up_and_sends_nothing(
    make_app: AppFactory, slack_api: FakeSlackApi, sink: ResponseSink, sandbox: SandboxGateway
) -> None:
    _, services = make_app.build()
    respond = AsyncRespond(response_url=sink.url())
    action = {"value": encode_button_value(SEED)}
    await show_qr(clicked_as(services, slack_api), action, {}, respond, replace(WHO, user_id=None))
    assert (sandbox.query_requests, sink.count, slack_api.calls) == (0, 0, [])
