"""The sandbox's answers (bot/sandbox/replies.py): JSON as the gateway writes it, its
gateway-level failures, and business answers that echo only what has a value."""

from __future__ import annotations

import json

from bot.sandbox.replies import BAD_TOKEN, UNKNOWN_APP, business, gateway_error, json_reply


def test_json_is_utf8_with_chinese_as_written() -> None:
    answer = json_reply(200, {"errMsg": "无法找到指定的账单"})
    assert "无法找到指定的账单".encode() in answer.body
    assert answer.content_type == "application/json; charset=utf-8"


def test_a_gateway_failure_is_a_numeric_code_with_err_info_and_its_status() -> None:
    assert gateway_error(UNKNOWN_APP).status == 412
    answer = gateway_error(BAD_TOKEN)
    assert answer.status == 401
    assert json.loads(answer.body) == {"errCode": "1005", "errInfo": BAD_TOKEN.info}


def test_a_business_answer_echoes_only_what_has_a_value() -> None:
    answer = business("NO_BILL", "无", msgId="m-1", srcReserve=None)
    assert answer.status == 200
    assert json.loads(answer.body) == {"errCode": "NO_BILL", "errMsg": "无", "msgId": "m-1"}
