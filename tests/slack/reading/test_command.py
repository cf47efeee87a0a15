"""The /qrinfo argument parser, as a table of what people type."""

from __future__ import annotations

import pytest

from bot.gateway.ids import QrCodeRef
from bot.slack.reading.command import parse_command
from bot.slack.reading.pasted import (
    BatchRequest,
    HelpRequest,
    StatusRequest,
    UsageError,
)

MID = "898340149000005"
QR = "31942002268195125132885377"
SEED = QrCodeRef(mid=MID, qr_code_id=QR)
# A pasted URL's host names the environment: production, or the provider's test one.
PROD = QrCodeRef(mid=MID, qr_code_id=QR, env="prod")
TEST = QrCodeRef(mid=MID, qr_code_id=QR, env="test")

ACCEPTED = [
    ("plain", f"{MID} {QR}", SEED),
    ("reversed", f"{QR} {MID}", SEED),
    ("extra-spaces", f"   {MID}    {QR}  ", SEED),
    ("full-width-space", f"{MID}\u3000{QR}", SEED),
    ("full-width-digits", "８９８３４０１４９０００００５ " + QR, SEED),
    ("tab-and-newline", f"{MID}\t\n{QR}", SEED),
    ("comma", f"{MID},{QR}", SEED),
    ("chinese-comma", f"{MID}，{QR}", SEED),
    ("zero-width", f"{MID}\u200b {QR}\ufeff", SEED),
    ("new-url", f"{MID} https://qr.95516.com/48020000/{QR}", PROD),
    ("new-url-first", f"https://qr.95516.com/48020000/{QR} {MID}", PROD),
    ("slack-link", f"{MID} <https://qr.95516.com/48020000/{QR}>", PROD),
    (
        "slack-link-label",
        f"{MID} <https://qr.95516.com/48020000/{QR}|qr.95516.com/48020000/{QR}>",
        PROD,
    ),
    (
        "slack-link-label-with-spaces",
        f"{MID} <https://qr.95516.com/48020000/{QR}|the QR code>",
        PROD,
    ),
    ("old-url", f"{MID} https://qr.chinaums.com/bills/qrCode.do?id={QR}", PROD),
    ("old-test-host", f"{MID} https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}", TEST),
    (
        "old-url-escaped-amp",
        f"{MID} <https://qr.chinaums.com/bills/qrCode.do?id={QR}&amp;x=1>",
        PROD,
    ),
    ("url-without-scheme", f"{MID} qr.95516.com/48020000/{QR}", PROD),
    (
        "letter-prefix",
        f"{MID} 147G2002268195125132885377",
        QrCodeRef(MID, "147G2002268195125132885377"),
    ),
    ("short-both-keeps-order", "12345678 87654321", QrCodeRef("12345678", "87654321")),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in ACCEPTED], ids=[i for i, _, _ in ACCEPTED]
)
def test_accepted_forms_give_the_lookup(text: str, expected: QrCodeRef) -> None:
    """Each way people type a lookup gives the same mid and qrCodeId."""
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "?", "帮助", "\u3000"])
def test_empty_or_help_asks_for_help(text: str) -> None:
    """Nothing, or a help word, is a help request."""
    assert parse_command(text) == HelpRequest()


REJECTED = [
    ("one-argument", MID, "one argument"),
    ("three-arguments", f"{MID} {QR} extra", "`extra` is not a QR code id"),
    ("url-alone", f"https://qr.95516.com/48020000/{QR}", "merchant number"),
    (
        "two-urls",
        f"https://qr.95516.com/48020000/{QR} https://qr.95516.com/48020000/{QR}",
        "two URLs",
    ),
    ("foreign-url", f"{MID} https://example.com/48020000/{QR}", "not a Chinaums QR code URL"),
    ("javascript-url", f"{MID} javascript://alert(1)", "not a Chinaums QR code URL"),
    ("dash-in-mid", f"898-340149000005 {QR}", "merchant number"),
    ("mid-too-long", f"8983401490000051 {QR}", "merchant number"),
    ("sql-in-id", f"{MID} 3194'OR'1'='1", "QR code id"),
    ("id-too-long", f"{MID} {'3' * 33}", "QR code id"),
    ("chinese-in-id", f"{MID} 二维码二维码二维码", "QR code id"),
    ("mention", f"{MID} <@U123ABC>", "QR code id"),
]


@pytest.mark.parametrize(
    ("text", "says"), [(t, s) for _, t, s in REJECTED], ids=[i for i, _, _ in REJECTED]
)
def test_rejected_forms_say_what_was_wrong(text: str, says: str) -> None:
    """Input no gateway would accept raises UsageError whose message says what was expected."""
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert says in str(caught.value.problem)


URL = f"https://qr.95516.com/48020000/{QR}"

# Issue 10: text pasted from a Chinese chat. The first rows are the examples verbatim.
PASTED = [
    ("issue-example", "商户号：898340149000005，二维码：31942002268195125132885377。", SEED),
    ("curly-double-quotes", f"“{MID}” “{QR}”", SEED),
    ("full-width-parentheses", f"（{MID}）（{QR}）", SEED),
    ("lenticular-brackets", f"【{MID}】【{QR}】", SEED),
    ("double-angle-brackets", f"《{MID}》《{QR}》", SEED),
    ("corner-brackets", f"「{MID}」「{QR}」", SEED),
    ("ideographic-full-stops", f"{MID}。{QR}。", SEED),
    ("label-chinese-merchant-no-colon", f"商户号:{MID} {QR}", SEED),
    ("label-mid-full-width-colon", f"mid：{MID} {QR}", SEED),
    ("label-qrCodeId-equals", f"{MID} qrCodeId={QR}", SEED),
    ("label-chinese-qr-code-full-width-colon", f"{MID} 二维码：{QR}", SEED),
    ("labels-reversed", f"二维码：{QR}，商户号：{MID}", SEED),
    ("labels-equals", f"mid={MID} qrCodeId={QR}", SEED),
    ("labels-upper-case", f"MID: {MID} QRCODEID: {QR}", SEED),
    ("labels-spaced-separators", f"商户号 ： {MID} 二维码 = {QR}", SEED),
    ("labels-without-separator", f"mid {MID} qr {QR}", SEED),
    ("labels-glued-chinese", f"商户号{MID}二维码{QR}", SEED),
    ("labels-long-chinese", f"商户编号：{MID} 二维码ID：{QR}", SEED),
    ("labels-merchant-qr", f"merchant: {MID}, qr: {QR}", SEED),
    ("label-chinese-code-with-separator", f"码：{QR} 商户：{MID}", SEED),
    ("label-with-url", f"商户号：{MID}，二维码：{URL}", PROD),
    ("label-with-url-and-full-stop", f"二维码：{URL}。商户号：{MID}。", PROD),
    ("labelled-mid-and-bare-url", f"商户号：{MID} {URL}", PROD),
    ("labelled-mid-and-bare-id", f"商户号：{MID} {QR}", SEED),
    ("labelled-id-and-bare-mid", f"二维码：{QR} {MID}", SEED),
    ("label-quoted-values", f"商户号：“{MID}”，二维码：“{QR}”。", SEED),
    ("quotes-with-spaces-inside", f"“ {MID} ” ‘{QR}’", SEED),
    ("ascii-quotes-and-brackets", f"\"{MID}\" '{QR}' ", SEED),
    ("ascii-brackets", f"[{MID}] ({QR})", SEED),
    ("white-corner-brackets", f"『{MID}』『{QR}』", SEED),
    ("sentence-in-parentheses", f"（商户号：{MID}，二维码：{QR}）", SEED),
    ("trailing-punctuation", f"{MID}！ {QR}.", SEED),
    ("full-width-semicolon-and-comma", f"商户号：{MID}；二维码：{QR}，", SEED),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(t, e) for _, t, e in PASTED], ids=[i for i, _, _ in PASTED]
)
def test_text_pasted_from_a_chat_gives_the_lookup(text: str, expected: QrCodeRef) -> None:
    """Labels, wrapping quotes or brackets and sentence punctuation around the ids are read."""
    assert parse_command(text) == expected


LABELS = [("商户号", MID), ("mid", MID), ("二维码", QR), ("qrCodeId", QR)]
LABEL_SEPARATORS = [":", "：", "="]


@pytest.mark.parametrize("separator", LABEL_SEPARATORS, ids=["colon", "full-width-colon", "equals"])
@pytest.mark.parametrize(
    ("label", "value"), LABELS, ids=["chinese-merchant-no", "mid", "chinese-qr-code", "qrCodeId"]
)
def test_each_label_takes_each_separator(label: str, value: str, separator: str) -> None:
    """商户号, mid, 二维码 and qrCodeId put their value in its field, before or after the other."""
    other = QR if value == MID else MID
    assert parse_command(f"{other} {label}{separator}{value}") == SEED
    assert parse_command(f"{label}{separator}{value} {other}") == SEED


STILL_REFUSED = [
    ("two-labelled-mids", f"商户号：{MID} mid：{MID}", "two values for the merchant number"),
    ("labelled-id-and-url", f"二维码：{QR} {URL}", "two values for the QR code id"),
    ("label-without-value", f"商户号：，二维码：{QR}", "`商户号` has no value"),
    ("label-at-the-end", f"二维码：{QR} mid", "`mid` has no value"),
    ("label-followed-by-label", f"mid: qr: {QR}", "`mid` has no value"),
    ("unknown-chinese-label", f"终端号：12345678 {MID}", "`终端号` is not a label"),
    ("unknown-ascii-label", f"id={QR} {MID}", "`id` is not a label"),
    ("merchant-code-label-is-unknown", f"商户码：{MID} {QR}", "`商户码` is not a label"),
    ("code-label-without-separator-is-too-vague", f"码{QR} {MID}", "`码` is not a merchant"),
    ("labelled-mid-alone", f"商户号：{MID}", "merchant number alone"),
    ("labelled-id-alone", f"二维码：{QR}。", "QR code alone"),
    ("only-punctuation", "“”。", "no merchant number or QR code id"),
    ("label-contradicts-length", f"二维码：{MID} {QR}", f"`{QR}` is not a merchant number"),
]


@pytest.mark.parametrize(
    ("text", "says"),
    [(t, s) for _, t, s in STILL_REFUSED],
    ids=[i for i, _, _ in STILL_REFUSED],
)
def test_ambiguous_or_contradictory_labels_are_refused(text: str, says: str) -> None:
    """Labels never lead to a guess: what stays unclear raises UsageError saying why."""
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert says in str(caught.value.problem)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "二维码链接：https://qr.95516.com/48020000/31942002268195125132885377 898340149000005",
            "`二维码链接` is not a label the bot knows",
        ),
        (
            "mid:898340149000005:31942002268195125132885377",
            "runs two values together; put a space between them",
        ),
        ("898340149000005 ftp://qr.95516.com/x", "That URL is not a Chinaums QR code URL"),
    ],
    ids=["unknown-label-before-a-good-url", "two-values-run-together", "foreign-scheme"],
)
def test_a_refusal_names_the_real_problem(text: str, says: str) -> None:
    """The message points at what is wrong (the label, the missing space), not elsewhere."""
    with pytest.raises(UsageError) as caught:
        parse_command(text)
    assert says in str(caught.value.problem)


def test_ids_in_backticks_are_unwrapped() -> None:
    """`898…` `3194…` (code formatting in Slack) reads like the bare ids."""
    assert parse_command("`898340149000005` `31942002268195125132885377`") == QrCodeRef(
        "898340149000005", "31942002268195125132885377"
    )


@pytest.mark.parametrize("text", ["帮助。", "幫助", "「帮助」", "help?", "“help”"])
def test_help_as_people_type_it_with_marks_or_traditional_characters(text: str) -> None:
    assert isinstance(parse_command(text), HelpRequest)


@pytest.mark.parametrize("text", ["status", "状态", "狀態", "Status.", "状态。"])
def test_status_in_either_language(text: str) -> None:
    assert isinstance(parse_command(text), StatusRequest)


# --- several QR codes at once ------------------------------------------------------------------

OTHER = "31942611251400310000445566"


def test_an_environment_word_puts_every_code_of_a_batch_on_its_gateway() -> None:
    """`测试` before a list: each of its codes goes to the test gateway."""
    assert parse_command(f"测试 {MID} {QR} {OTHER}") == BatchRequest(
        (TEST, QrCodeRef(MID, OTHER, env="test"))
    )


def test_an_environment_word_against_a_listed_urls_host_names_that_code() -> None:
    """`prod` with a test URL in a list: refused, naming the code whose URL contradicts it."""
    with pytest.raises(UsageError) as caught:
        parse_command(f"prod {MID} {QR} https://qr-test1.chinaums.com/bills/qrCode.do?id={OTHER}")
    assert f"`prod` asks for production, but the URL of `{OTHER}` is a code from the test" in str(
        caught.value.problem
    )


# --- which environment: a first word, or a pasted URL's host -----------------------------------


@pytest.mark.parametrize(
    ("text", "env"),
    [
        (f"test {MID} {QR}", "test"),
        (f"TEST: {MID} {QR}", "test"),
        (f"测试 {MID} {QR}", "test"),
        (f"測試，{MID} {QR}", "test"),
        (f"prod {MID} {QR}", "prod"),
        (f"production {MID} {QR}", "prod"),
        (f"生产 {MID} {QR}", "prod"),
        (f"生產{MID} {QR}", "prod"),
        (f"{MID} {QR}", None),
        (f"{MID} https://qr-test1.chinaums.com/bills/qrCode.do?id={QR}", "test"),
        (f"{MID} qr-test3.chinaums.com/bills/qrCode.do?id={QR}", "test"),
        (f"{MID} <https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}&amp;x=1>", "test"),
        (f"{MID} https://QR.CHINAUMS.COM/bills/qrCode.do?id={QR}", "prod"),
        (f"{MID} qr.95516.com/48020000/{QR}", "prod"),
        (f"test {MID} https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}", "test"),
    ],
)
def test_a_first_word_or_a_urls_host_names_the_environment(text: str, env: str | None) -> None:
    """The word before the lookup, or the host of its URL, says which gateway to ask."""
    parsed = parse_command(text)
    assert isinstance(parsed, QrCodeRef)
    assert (parsed.mid, parsed.qr_code_id, parsed.env) == (MID, QR, env)


@pytest.mark.parametrize(
    "text",
    [f"testing {MID} {QR}", f"tester {MID} {QR}", f"prods {MID} {QR}"],
)
def test_a_word_that_only_starts_like_an_environment_is_not_one(text: str) -> None:
    """`testing` is not `test`: it is read as a value (and refused as one)."""
    with pytest.raises(UsageError):
        parse_command(text)


def test_a_word_and_a_url_from_another_environment_are_refused() -> None:
    """`prod` with a test host's URL is a contradiction: refused, never guessed."""
    with pytest.raises(UsageError) as caught:
        parse_command(f"prod {MID} https://qr-test2.chinaums.com/bills/qrCode.do?id={QR}")
    assert "`prod` asks for production, but that URL is a code from the test environment" in str(
        caught.value.problem
    )
