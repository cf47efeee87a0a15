"""The unfurl of a QR link: its id, its environment's badge, Look up; within Block Kit's
limits for any URL Slack could send."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import ENGLISH
from bot.i18n.catalogue import translator
from bot.qr_urls import QR_HOSTS
from bot.slack.cards.unfurl import LOOK_UP_ACTION, unfurl_blocks, unfurls
from bot.slack.reading.links import QrLink, qr_link
from tests.slack.blockkit import payload_problems

ID = "31942002268195125132885377"
TEST_URL = f"https://qr-test1.chinaums.com/bills/qrCode.do?id={ID}"


def link(url: str) -> QrLink:
    read = qr_link(url)
    assert read is not None
    return read


def test_the_preview_shows_the_id_the_environment_and_look_up_carrying_the_link() -> None:
    """The id in code, Look up with the link rebuilt as its value, the TEST badge and host."""
    [section, context] = unfurl_blocks(link(TEST_URL + "&x=1"), ENGLISH)
    assert section["text"]["text"] == f"*Chinaums QR code* `{ID}`"
    assert section["accessory"]["action_id"] == LOOK_UP_ACTION
    assert section["accessory"]["value"] == TEST_URL
    texts = [element["text"] for element in context["elements"]]
    assert texts[:2] == [":construction: *TEST*", "qr-test1.chinaums.com"]


def test_each_link_is_keyed_by_its_url_as_slack_sent_it() -> None:
    """chat.unfurl matches previews to links by the exact URL in the event."""
    sent = f"https://QR.95516.com/48020000/{ID}/"
    previews = unfurls([link(sent), link(TEST_URL)], ENGLISH)
    assert list(previews) == [sent, TEST_URL]
    assert "PROD" in previews[sent]["blocks"][1]["elements"][0]["text"]


def test_the_preview_is_in_the_language_it_is_drawn_in() -> None:
    """中文 for a channel whose language is zh."""
    [section, _] = unfurl_blocks(link(TEST_URL), translator("zh"))
    assert section["text"]["text"] == f"*银联商务二维码* `{ID}`"
    assert section["accessory"]["text"]["text"] == "查询"


QR_URL = st.builds(
    lambda scheme, host, shape, qr_id, tail: (
        f"{scheme}://{host}/48020000/{qr_id}{tail}"
        if shape
        else f"{scheme}://{host}/bills/qrCode.do?id={qr_id}&{tail}"
    ),
    st.sampled_from(["https", "http"]),
    st.sampled_from(sorted(QR_HOSTS)),
    st.booleans(),
    st.from_regex(r"[0-9A-Za-z]{8,32}", fullmatch=True),
    st.text(max_size=3000),
)


@settings(max_examples=300, deadline=None)
@given(url=QR_URL | st.text(max_size=3000))
def test_any_url_unfurls_within_block_kits_limits(url: str) -> None:
    """Whatever the URL holds (<, &, 3,000 characters): the preview, if any, passes every
    Block Kit limit, and its only mrkdwn from outside is escaped."""
    read = qr_link(url)
    if read is None:
        return
    for language in ("en", "zh"):
        blocks = unfurl_blocks(read, translator(language))
        assert payload_problems({"text": "unfurl", "blocks": blocks}) == []
        assert "<" not in blocks[0]["text"]["text"]
