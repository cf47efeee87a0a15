"""The sandbox verifies like a strict gateway and answers like the real one."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from bot.gateway.protocol import QUERY_PATH
from bot.gateway.signing import BEIJING, BODY_TIMESTAMP_FORMAT, body_timestamp
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from tests.gateway.helpers import (
    V_APP_ID,
    V_APP_KEY,
    V_HEADER,
    V_SIGNATURE,
)
from tests.sandbox.helpers import (
    NOW,
    Clock,
    query_body,
    reply,
    signed_query,
    token_query,
    token_request,
)


@pytest.fixture
def sandbox() -> SandboxGateway:
    return SandboxGateway(wall_clock=Clock())


# --- the verifier, pinned by the provider's vector --------------------------------------------


async def test_verifier_accepts_the_official_vector() -> None:
    """The vector's header over body 'A' passes authentication (then 'A' fails as JSON)."""
    vector_time = Clock(NOW.replace(year=2017, month=1, day=1))  # 12:00 Beijing
    sandbox = SandboxGateway(apps={V_APP_ID: V_APP_KEY}, wall_clock=vector_time)
    answer = await sandbox.handle("POST", QUERY_PATH, {"Authorization": V_HEADER}, b"A")
    assert answer.status == 200
    assert reply(answer)["errCode"] == "BAD_REQUEST"


async def test_verifier_refuses_the_vector_with_one_signature_character_changed() -> None:
    """Flip one character of the vector's signature: 1002, signature mismatch."""
    vector_time = Clock(NOW.replace(year=2017, month=1, day=1))
    sandbox = SandboxGateway(apps={V_APP_ID: V_APP_KEY}, wall_clock=vector_time)
    tampered = V_HEADER.replace(V_SIGNATURE, "H" + V_SIGNATURE[1:])
    answer = await sandbox.handle("POST", QUERY_PATH, {"Authorization": tampered}, b"A")
    assert (answer.status, reply(answer)["errCode"]) == (412, "1002")


# --- each rejection -------------------------------------------------------------------------


async def test_seed_code_is_found_with_a_good_signature(sandbox: SandboxGateway) -> None:
    """A well-signed query for the seed's code gets the seed's reply, msgId echoed."""
    answer = reply(await signed_query(sandbox))
    assert answer["errCode"] == "SUCCESS"
    assert answer["merName"] == "测试商户"
    assert answer["msgId"] == "test-msg-1"
    assert "responseTimestamp" in answer


async def test_a_bad_signature_is_refused(sandbox: SandboxGateway) -> None:
    """Signed with the wrong key: 412, errCode 1002."""
    answer = await signed_query(sandbox, app_key="not-the-key")
    assert (answer.status, reply(answer)["errCode"]) == (412, "1002")


async def test_a_body_changed_after_signing_is_refused(sandbox: SandboxGateway) -> None:
    """The signature covers the exact bytes: the same JSON re-serialised no longer matches."""
    body = query_body()
    spaced = json.dumps(json.loads(body), indent=1).encode()
    answer = await signed_query(sandbox, spaced, sign_instead=body)
    assert (answer.status, reply(answer)["errCode"]) == (412, "1002")


async def test_a_stale_timestamp_is_refused(sandbox: SandboxGateway) -> None:
    """A header timestamp ten minutes old: 1003."""
    answer = await signed_query(sandbox, at=NOW - timedelta(minutes=10))
    assert (answer.status, reply(answer)["errCode"]) == (412, "1003")


async def test_a_timestamp_formatted_in_utc_is_refused(sandbox: SandboxGateway) -> None:
    """The host's UTC wall clock instead of Beijing's is 8 hours off: 1003."""
    answer = await signed_query(sandbox, timestamp=NOW.strftime("%Y%m%d%H%M%S"))
    assert reply(answer)["errCode"] == "1003"


async def test_a_request_timestamp_formatted_in_utc_is_abnormal(sandbox: SandboxGateway) -> None:
    """requestTimestamp in UTC wall time: ABNORMAL_REQUEST_TIME."""
    body = query_body(requestTimestamp=NOW.strftime(BODY_TIMESTAMP_FORMAT))
    assert reply(await signed_query(sandbox, body))["errCode"] == "ABNORMAL_REQUEST_TIME"


async def test_a_replayed_nonce_is_refused(sandbox: SandboxGateway) -> None:
    """The same nonce twice: the second gets 1004."""
    first = await signed_query(sandbox, nonce="a" * 32)
    second = await signed_query(sandbox, nonce="a" * 32)
    assert reply(first)["errCode"] == "SUCCESS"
    assert (second.status, reply(second)["errCode"]) == (412, "1004")


async def test_an_unknown_app_id_is_refused(sandbox: SandboxGateway) -> None:
    """An appId the gateway does not know: 1001, for the query and the token endpoint."""
    assert reply(await signed_query(sandbox, app_id="nobody"))["errCode"] == "1001"
    assert reply(await token_request(sandbox, app_id="nobody"))["errCode"] == "1001"


async def test_a_missing_authorization_is_refused(sandbox: SandboxGateway) -> None:
    """No Authorization header at all: 1000."""
    answer = await sandbox.handle("POST", QUERY_PATH, {}, query_body())
    assert reply(answer)["errCode"] == "1000"


async def test_a_token_works_until_it_expires() -> None:
    """A fresh token opens queries; an hour later it is refused with 401 / 1005."""
    clock = Clock()
    sandbox = SandboxGateway(wall_clock=clock)
    token = reply(await token_request(sandbox))["accessToken"]
    assert reply(await token_query(sandbox, token))["errCode"] == "SUCCESS"
    clock.advance(hours=1, seconds=1)
    later_body = query_body(requestTimestamp=body_timestamp(clock.now))
    answer = await token_query(sandbox, token, later_body)
    assert (answer.status, reply(answer)["errCode"]) == (401, "1005")


async def test_an_unknown_token_is_refused(sandbox: SandboxGateway) -> None:
    """A made-up token: 401 / 1005."""
    answer = await token_query(sandbox, "f" * 32)
    assert (answer.status, reply(answer)["errCode"]) == (401, "1005")


async def test_the_eleventh_live_token_is_refused(sandbox: SandboxGateway) -> None:
    """Ten live tokens per appId; the eleventh request gets 1006."""
    for _ in range(10):
        assert reply(await token_request(sandbox))["errCode"] == "0000"
    assert reply(await token_request(sandbox))["errCode"] == "1006"


async def test_expired_tokens_free_their_places() -> None:
    """Once the ten tokens expire, a new one can be issued."""
    clock = Clock()
    sandbox = SandboxGateway(wall_clock=clock)
    for _ in range(10):
        await token_request(sandbox)
    assert reply(await token_request(sandbox))["errCode"] == "1006"
    clock.advance(hours=2)
    assert reply(await token_request(sandbox, at=clock.now))["errCode"] == "0000"


async def test_a_token_request_with_a_bad_signature_is_refused(sandbox: SandboxGateway) -> None:
    """Token signature made with the wrong key: 1002."""
    assert reply(await token_request(sandbox, app_key="wrong"))["errCode"] == "1002"


async def test_a_known_code_asked_with_another_mid_is_invalid_msgsrc(
    sandbox: SandboxGateway,
) -> None:
    """The code belongs to another merchant's source: INVALID_MSGSRC."""
    body = query_body(mid="898310058120123")
    assert reply(await signed_query(sandbox, body))["errCode"] == "INVALID_MSGSRC"


async def test_an_unknown_code_is_no_bill(sandbox: SandboxGateway) -> None:
    """A well-formed id nobody issued: NO_BILL, msgId echoed."""
    answer = reply(await signed_query(sandbox, query_body(qrCodeId="31940000000000000000000000")))
    assert (answer["errCode"], answer["msgId"]) == ("NO_BILL", "test-msg-1")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"mid": None}, "mid"),
        ({"mid": "8983401490000051"}, "mid"),
        ({"qrCodeId": "3194-2002"}, "qrCodeId"),
        ({"qrCodeId": "3" * 33}, "qrCodeId"),
        ({"msgId": "m" * 65}, "msgId"),
        ({"srcReserve": "s" * 256}, "srcReserve"),
        ({"requestTimestamp": "20261125120000"}, "requestTimestamp"),
        ({"requestTimestamp": None}, "requestTimestamp"),
    ],
    ids=[
        "no-mid",
        "long-mid",
        "dash-in-id",
        "long-id",
        "long-msgid",
        "long-src-reserve",
        "header-format-timestamp",
        "no-timestamp",
    ],
)
async def test_a_bad_field_is_bad_request_naming_it(
    sandbox: SandboxGateway, fields: dict[str, object], named: str
) -> None:
    """Missing or malformed fields come back as BAD_REQUEST whose message names the field."""
    answer = reply(await signed_query(sandbox, query_body(**fields)))
    assert answer["errCode"] == "BAD_REQUEST"
    assert named in answer["errMsg"]


async def test_a_body_that_is_not_json_is_bad_request(sandbox: SandboxGateway) -> None:
    """Well signed but not JSON: BAD_REQUEST."""
    assert reply(await signed_query(sandbox, b'{"mid":'))["errCode"] == "BAD_REQUEST"


async def test_an_unknown_path_is_no_service(sandbox: SandboxGateway) -> None:
    """Another path: 404, NO_SERVICE."""
    answer = await sandbox.handle("POST", "/v1/netpay/bills/nope", {}, b"{}")
    assert (answer.status, reply(answer)["errCode"]) == (404, "NO_SERVICE")


# --- fixtures, as served ---------------------------------------------------------------------


async def test_the_one_time_code_expires_thirty_minutes_after_the_lookup(
    sandbox: SandboxGateway,
) -> None:
    """expiresInMinutes makes expireTime relative to the sandbox's now (Beijing time)."""
    body = query_body(mid="898440353110321", qrCodeId="31942611251400310000445566")
    answer = reply(await signed_query(sandbox, body))
    expected = (NOW + timedelta(minutes=30)).astimezone(BEIJING).strftime(BODY_TIMESTAMP_FORMAT)
    assert answer["expireTime"] == expected


# --- faults ----------------------------------------------------------------------------------


async def test_the_5xx_trigger_answers_an_html_502(sandbox: SandboxGateway) -> None:
    """qrCodeId E503... gets a proxy's HTML 502 page."""
    answer = await signed_query(sandbox, query_body(qrCodeId="E5030000000000000000000001"))
    assert answer.status == 502
    assert answer.content_type.startswith("text/html")


async def test_the_malformed_trigger_answers_truncated_json(sandbox: SandboxGateway) -> None:
    """qrCodeId BADJ... gets half a JSON body."""
    answer = await signed_query(sandbox, query_body(qrCodeId="BADJ0000000000000000000001"))
    assert answer.status == 200
    with pytest.raises(ValueError):  # noqa: PT011  # json's own error type
        json.loads(answer.body)


async def test_the_hang_trigger_never_answers(sandbox: SandboxGateway) -> None:
    """qrCodeId HANG... is still waiting after a while."""
    pending = asyncio.ensure_future(
        signed_query(sandbox, query_body(qrCodeId="HANG0000000000000000000001"))
    )
    done, _ = await asyncio.wait({pending}, timeout=0.2)
    assert not done
    pending.cancel()


async def test_the_flaky_trigger_fails_every_other_call(sandbox: SandboxGateway) -> None:
    """qrCodeId FLAK... answers 502, then success, then 502."""
    statuses = [
        (await signed_query(sandbox, query_body(qrCodeId="FLAK0000000000000000000001"))).status
        for _ in range(3)
    ]
    assert statuses == [502, 200, 502]


async def test_the_error_rate_is_applied_reproducibly_with_a_seed() -> None:
    """error_rate=0.3 with a seed gives the same share of 502s on every run."""

    async def run() -> list[int]:
        sandbox = SandboxGateway(wall_clock=Clock(), faults=FaultConfig(error_rate=0.3, seed=7))
        return [(await signed_query(sandbox)).status for _ in range(200)]

    first, second = await run(), await run()
    assert first == second
    assert 30 <= first.count(502) <= 90


async def test_latency_delays_every_query() -> None:
    """latency_ms=50 makes a query take at least 50 ms."""
    sandbox = SandboxGateway(wall_clock=Clock(), faults=FaultConfig(latency_ms=50))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await signed_query(sandbox)
    assert loop.time() - started >= 0.045
