"""Reading the gateway's replies (bot/gateway/interpret.py): a QR code, a definite refusal
(business or auth), or Retryable with a one-line reason; the reply kept for Raw reply."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.gateway.attempts import Attempts, Retryable
from bot.gateway.errors import GatewayAuthError, GatewayRejected, GatewayUnavailable
from bot.gateway.interpret import interpret, json_object, text
from tests.gateway.helpers import SEED_REPLY

ORIGIN = "https://gateway.test"


def read(response: httpx.Response, attempts: Attempts | None = None) -> object:
    return interpret(response, attempts or Attempts("m-1"), origin=ORIGIN)


def reply(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_a_success_reply_is_the_qr_codes_details_and_is_kept() -> None:
    attempts = Attempts("m-1")
    info = interpret(reply(SEED_REPLY), attempts, origin=ORIGIN)
    assert getattr(info, "mer_name", None) == "测试商户"
    assert (attempts.status, attempts.reply) == (200, SEED_REPLY)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_5xx_or_429_is_retryable_naming_the_origin(status: int) -> None:
    with pytest.raises(Retryable) as caught:
        read(reply(SEED_REPLY, status))
    assert caught.value.reason == f"HTTP {status} from the gateway at {ORIGIN}"


@pytest.mark.parametrize("code", ["SYSTEM_BUSY", "TIMEOUT", "INVALID_RESPONSE"])
def test_a_busy_code_is_retryable(code: str) -> None:
    with pytest.raises(Retryable, match=rf"gateway busy \({code}\)"):
        read(reply({"errCode": code}))


def test_a_business_code_is_a_rejection_quoting_errmsg_then_errinfo() -> None:
    with pytest.raises(GatewayRejected) as caught:
        read(reply({"errCode": "NO_BILL", "errInfo": "无此账单"}))
    assert (caught.value.code, caught.value.gateway_message) == ("NO_BILL", "无此账单")
    assert caught.value.msg_id == "m-1"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"errCode": "1000"}),
        (200, {"errCode": 1000}),
        (200, {"errCode": "DENIED_IP"}),
        (401, {"errCode": "WHATEVER"}),
        (403, {"errCode": "NO_BILL"}),
    ],
    ids=["numeric", "numeric-int", "auth-code", "401", "403"],
)
def test_an_auth_failure_is_for_the_operator(status: int, body: dict[str, Any]) -> None:
    with pytest.raises(GatewayAuthError) as caught:
        read(reply(body, status))
    assert caught.value.code == str(body["errCode"])
    assert caught.value.http_status == status


def test_a_4xx_without_an_errcode_is_an_auth_error_with_only_its_status() -> None:
    with pytest.raises(GatewayAuthError) as caught:
        read(httpx.Response(404, html="<h1>Not Found</h1>"))
    assert (caught.value.code, caught.value.http_status) == (None, 404)


def test_a_reply_without_an_errcode_is_retryable_saying_so() -> None:
    with pytest.raises(Retryable, match="HTTP 200 reply without an errCode"):
        read(reply({"mid": "898340149000005"}))


def test_a_boolean_errcode_is_no_errcode() -> None:
    with pytest.raises(Retryable, match="without an errCode"):
        read(reply({"errCode": True}))


def test_an_html_page_is_retryable_saying_html_its_size_and_start() -> None:
    attempts = Attempts("m")
    page = "<html><body>maintenance</body></html>"
    with pytest.raises(Retryable) as caught:
        interpret(httpx.Response(200, html=page), attempts, origin=ORIGIN)
    assert caught.value.reason == (
        f"HTTP 200 reply is HTML ({len(page)} bytes, text/html; charset=utf-8): {page!r}"
    )
    assert attempts.reply == page  # kept as text for Raw reply


def test_a_truncated_json_body_is_retryable_as_not_json() -> None:
    response = httpx.Response(200, content=b'{"errCode":"SUC')
    with pytest.raises(Retryable, match=r"reply is not JSON \(15 bytes, no content type\)"):
        read(response)


def test_a_long_text_reply_is_kept_cut_to_two_thousand_characters() -> None:
    attempts = Attempts("m")
    with pytest.raises(Retryable):
        interpret(httpx.Response(200, content=b"x" * 5000), attempts, origin=ORIGIN)
    assert attempts.reply == "x" * 2000


def test_a_success_with_an_unreadable_field_is_unavailable_naming_it() -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        read(reply(SEED_REPLY | {"totalAmount": "two yuan"}))
    assert caught.value.reason.startswith(
        "the gateway's reply has an unreadable field totalAmount: "
    )


def test_json_object_is_none_for_anything_but_an_object() -> None:
    assert json_object(b'{"a": 1}') == {"a": 1}
    assert json_object(b"[1]") is None
    assert json_object(b"not json") is None


def test_text_is_a_non_empty_string_or_none() -> None:
    assert text("x") == "x"
    assert text("") is None
    assert text(12) is None
