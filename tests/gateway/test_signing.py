"""The signer against the provider's published vector, and its time-zone independence."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.gateway.signing import (
    BEIJING,
    BODY_TIMESTAMP_FORMAT,
    HEADER_TIMESTAMP_FORMAT,
    body_sig_header,
    body_signature,
    body_timestamp,
    header_timestamp,
    new_nonce,
    parse_beijing,
    parse_body_sig_header,
    sha256_hex,
    token_header,
    token_signature,
)
from tests.gateway.helpers import (
    V_APP_ID,
    V_APP_KEY,
    V_BODY,
    V_BODY_SHA256,
    V_HEADER,
    V_NONCE,
    V_SIGNATURE,
    V_TIMESTAMP,
)


def test_body_hash_matches_the_official_vector() -> None:
    """The SHA-256 of body 'A' is the vector's lowercase hex."""
    assert sha256_hex(V_BODY) == V_BODY_SHA256


def test_signature_matches_the_official_vector() -> None:
    """HMAC-SHA256 over appId+timestamp+nonce+hash, Base64: the vector's signature."""
    signature = body_signature(
        app_id=V_APP_ID, app_key=V_APP_KEY, timestamp=V_TIMESTAMP, nonce=V_NONCE, body=V_BODY
    )
    assert signature == V_SIGNATURE


def test_header_matches_the_official_vector_byte_for_byte() -> None:
    """The whole Authorization value: scheme, capitalised names, quotes, comma and space."""
    header = body_sig_header(
        app_id=V_APP_ID, app_key=V_APP_KEY, timestamp=V_TIMESTAMP, nonce=V_NONCE, body=V_BODY
    )
    assert header.encode("ascii") == V_HEADER.encode("ascii")


def test_chinese_body_is_signed_over_its_utf8_bytes() -> None:
    """A body with Chinese text is hashed as UTF-8, the bytes that go on the wire."""
    body = '{"merName":"测试商户","goodsName":"鸡蛋"}'.encode()
    message = (V_APP_ID + V_TIMESTAMP + V_NONCE + hashlib.sha256(body).hexdigest()).encode()
    expected = base64.b64encode(
        hmac.new(V_APP_KEY.encode(), message, hashlib.sha256).digest()
    ).decode()
    signature = body_signature(
        app_id=V_APP_ID, app_key=V_APP_KEY, timestamp=V_TIMESTAMP, nonce=V_NONCE, body=body
    )
    assert signature == expected
    assert signature != body_signature(
        app_id=V_APP_ID,
        app_key=V_APP_KEY,
        timestamp=V_TIMESTAMP,
        nonce=V_NONCE,
        body=body.decode().encode("gbk"),
    )


def test_token_signature_is_plain_sha256_lowercase_hex() -> None:
    """SHA-256 of appId+timestamp+nonce+appKey (no HMAC), as 64 lowercase hex characters."""
    signature = token_signature(
        app_id=V_APP_ID, timestamp=V_TIMESTAMP, nonce=V_NONCE, app_key=V_APP_KEY
    )
    assert (
        signature
        == hashlib.sha256((V_APP_ID + V_TIMESTAMP + V_NONCE + V_APP_KEY).encode()).hexdigest()
    )
    assert signature == signature.lower()
    assert len(signature) == 64


def test_token_header_has_no_quotes() -> None:
    """OPEN-ACCESS-TOKEN AccessToken=<token>, unquoted."""
    assert token_header("abc123") == "OPEN-ACCESS-TOKEN AccessToken=abc123"


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2017, 1, 1, 4, 0, 0, tzinfo=UTC),
        datetime(2016, 12, 31, 20, 0, 0, tzinfo=timezone(timedelta(hours=-8))),
        datetime(2017, 1, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=8))),
    ],
    ids=["utc", "los-angeles-offset", "beijing-offset"],
)
def test_timestamps_are_beijing_wall_clock_for_any_offset(instant: datetime) -> None:
    """The same instant gives the same Beijing timestamps whatever offset it carries."""
    assert header_timestamp(instant) == "20170101120000"
    assert body_timestamp(instant) == "2017-01-01 12:00:00"


def test_naive_datetimes_are_refused() -> None:
    """A naive datetime's zone is a guess; the signer refuses to guess."""
    with pytest.raises(ValueError, match="naive"):
        header_timestamp(datetime(2017, 1, 1, 12, 0, 0))  # noqa: DTZ001  # the point of the test


_SIGN_IN_HOST_ZONE = """
import time
from datetime import datetime
from bot.gateway.protocol import utc_now
from bot.gateway.signing import body_sig_header, header_timestamp
from tests.gateway.helpers import (
    V_APP_ID,
    V_APP_KEY,
    V_BODY,
    V_BODY_SHA256,
    V_HEADER,
    V_NONCE,
    V_SIGNATURE,
    V_TIMESTAMP,
)
local = datetime.fromtimestamp(1483243200).astimezone()  # the host's own zone
print(body_sig_header(app_id={app_id!r}, app_key={app_key!r}, timestamp=header_timestamp(local),
                      nonce={nonce!r}, body=b"A"))
print(header_timestamp(utc_now()))
print(time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 8 * 3600)))
"""


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_signer_gives_the_same_header_whatever_the_host_zone(zone: str) -> None:
    """Run under TZ=<zone>: the vector's header comes out, and 'now' is Beijing time."""
    script = _SIGN_IN_HOST_ZONE.format(app_id=V_APP_ID, app_key=V_APP_KEY, nonce=V_NONCE)
    result = subprocess.run(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-c", script],
        env=os.environ | {"TZ": zone},
        capture_output=True,
        text=True,
        check=True,
    )
    header, now_stamp, beijing_now = result.stdout.splitlines()
    assert header == V_HEADER
    drift = parse_beijing(beijing_now, HEADER_TIMESTAMP_FORMAT) - parse_beijing(
        now_stamp, HEADER_TIMESTAMP_FORMAT
    )
    assert abs(drift.total_seconds()) <= 2


def test_nonces_are_32_lowercase_hex_and_unique() -> None:
    """Nonces are 32 lowercase hex characters, never repeated."""
    nonces = {new_nonce() for _ in range(1000)}
    assert len(nonces) == 1000
    assert all(len(n) == 32 and n == n.lower() and int(n, 16) >= 0 for n in nonces)


def test_header_parser_reads_back_the_vector() -> None:
    """The verifier's parser splits the vector's header into its four parts."""
    parsed = parse_body_sig_header(V_HEADER)
    assert parsed is not None
    assert (parsed.app_id, parsed.timestamp, parsed.nonce, parsed.signature) == (
        V_APP_ID,
        V_TIMESTAMP,
        V_NONCE,
        V_SIGNATURE,
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer abc",
        'OPEN-BODY-SIG AppId="a", Timestamp="t", Nonce="n"',
        'OPEN-BODY-SIG AppId=a, Timestamp="t", Nonce="n", Signature="s"',
        "OPEN-BODY-SIG",
    ],
    ids=["empty", "other-scheme", "missing-signature", "unquoted", "scheme-only"],
)
def test_header_parser_refuses_malformed_headers(header: str) -> None:
    """A header missing a part, unquoted or of another scheme parses to None."""
    assert parse_body_sig_header(header) is None


@settings(max_examples=500)
@given(
    st.one_of(
        st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
        st.text(alphabet="0123456789-: T２", max_size=22),
    )
)
def test_a_body_timestamp_reads_as_strptime_reads_it(text: str) -> None:
    """The quick reading of a whole ``yyyy-MM-dd HH:mm:ss`` gives what strptime gives, and
    anything strptime refuses is refused in its words."""
    try:
        expected: object = datetime.strptime(text, BODY_TIMESTAMP_FORMAT).replace(tzinfo=BEIJING)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: object = parse_beijing(text, BODY_TIMESTAMP_FORMAT)
    except ValueError as exc:
        got = str(exc)
    assert got == expected
