"""What can go wrong with a lookup (bot/gateway/errors.py): the errCode catalogue, the token
limit guess, and each error's message, fields and next step (never a secret)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.gateway.errors import (
    AUTH_CODES,
    CATALOGUE,
    TRANSIENT_CODES,
    UNKNOWN_CODE,
    GatewayAuthError,
    GatewayBreakerOpen,
    GatewayBusy,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    InvalidInput,
    QrInfoError,
    TokenLimitReached,
    describe,
    is_token_limit,
)


def test_a_known_code_is_described_from_the_catalogue() -> None:
    assert describe("NO_BILL") is CATALOGUE["NO_BILL"]


def test_a_numeric_code_is_a_refusal_of_the_bots_credentials() -> None:
    info = describe("1002")
    assert info.explanation == "The gateway refused the bot's credentials or request."
    assert "app id, key, token and whitelist" in info.next_step


def test_an_unknown_code_is_said_to_be_unknown() -> None:
    assert describe("SOMETHING_NEW") is UNKNOWN_CODE


def test_every_transient_and_auth_code_has_its_own_entry() -> None:
    assert CATALOGUE.keys() >= TRANSIENT_CODES
    assert CATALOGUE.keys() >= AUTH_CODES
    assert not TRANSIENT_CODES & AUTH_CODES


@pytest.mark.parametrize(
    ("info", "at_limit"),
    [
        ("AccessToken数量已达上限", True),
        ("too many access tokens", True),
        ("Token limit reached", True),
        ("令牌上限", True),
        ("token超过有效期", False),  # an expired token, not the cap
        ("limit exceeded", False),  # no word for a token
        ("AppId不存在", False),
        (None, False),
    ],
)
def test_only_a_refusal_about_tokens_and_a_limit_is_the_token_limit(
    info: str | None, at_limit: bool
) -> None:
    assert is_token_limit(info) is at_limit


def test_invalid_input_says_the_field_what_is_expected_and_an_example() -> None:
    error = InvalidInput(field="mid", expected="15 digits", example="898340149000005")
    assert str(error) == "mid: expected 15 digits, for example 898340149000005"
    assert isinstance(error, QrInfoError)
    assert not isinstance(error, GatewayError)


def test_a_rejection_explains_its_code_and_quotes_the_gateway() -> None:
    error = GatewayRejected(code="NO_BILL", message="账单不存在", msg_id="m-1")
    assert str(error) == (
        "NO_BILL: No QR code with this id exists for this merchant. (gateway: 账单不存在)"
    )
    assert error.next_step == CATALOGUE["NO_BILL"].next_step
    assert (error.code, error.gateway_message, error.msg_id) == ("NO_BILL", "账单不存在", "m-1")


def test_a_rejection_without_a_gateway_text_says_only_ours() -> None:
    assert "gateway:" not in str(GatewayRejected(code="NO_BILL", message=None, msg_id=None))


@pytest.mark.parametrize(("attempts", "word"), [(1, "1 attempt,"), (3, "3 attempts,")])
def test_unavailable_counts_its_attempts_and_time(attempts: int, word: str) -> None:
    error = GatewayUnavailable(reason="HTTP 503", attempts=attempts, elapsed=1.26, msg_id="m")
    assert str(error) == f"gateway unavailable: HTTP 503 ({word} 1.3 s)"


def test_busy_after_a_wait_says_how_long_it_waited() -> None:
    error = GatewayBusy(limit=50, waited=2.5, msg_id="m")
    assert error.reason == "50 lookups already in flight; no slot came free in 2.5 s"
    assert (error.attempts, error.elapsed, error.limit) == (0, 2.5, 50)
    assert isinstance(error, GatewayUnavailable)


def test_busy_at_once_says_too_many_were_waiting() -> None:
    error = GatewayBusy(limit=50, waited=0.0, msg_id="m")
    assert error.reason == "50 lookups already in flight and too many waiting"


def test_an_open_breaker_says_since_when_and_for_how_long() -> None:
    since = datetime(2026, 11, 25, 4, 5, 6, tzinfo=UTC)
    error = GatewayBreakerOpen(failing_since=since, retry_in=12.4, msg_id="m")
    assert error.reason == "the gateway has been failing since 04:05:06 UTC; calls paused for 12 s"
    assert (error.attempts, error.failing_since, error.retry_in) == (0, since, 12.4)


def test_an_open_breaker_without_a_start_leaves_the_since_out() -> None:
    error = GatewayBreakerOpen(failing_since=None, retry_in=3, msg_id=None)
    assert error.reason == "the gateway has been failing; calls paused for 3 s"


def test_an_auth_error_lists_what_it_knows() -> None:
    error = GatewayAuthError(code="BAD_SIGN", message="签名错误", http_status=200, msg_id="m")
    assert str(error) == "gateway refused the bot's request, HTTP 200, errCode BAD_SIGN: 签名错误"
    assert error.next_step == CATALOGUE["BAD_SIGN"].next_step


def test_an_auth_error_without_a_code_points_at_the_url_and_credentials() -> None:
    error = GatewayAuthError(code=None, message=None, http_status=404, msg_id=None)
    assert str(error) == "gateway refused the bot's request, HTTP 404"
    assert error.next_step == "Tell the bot's operator: check the gateway URL and credentials."


def test_the_token_limit_says_the_cap_quotes_the_gateway_and_says_to_wait() -> None:
    error = TokenLimitReached(code="1010", gateway_message="令牌上限", http_status=200)
    assert "too many live access tokens for this appId (the provider allows 10" in str(error)
    assert str(error).endswith("; gateway: 令牌上限")
    assert error.next_step.startswith("Wait for old tokens to expire")
    assert isinstance(error, GatewayAuthError)
    assert error.msg_id is None
