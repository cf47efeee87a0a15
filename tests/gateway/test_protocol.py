"""The endpoint's fixed facts and real clocks (bot/gateway/protocol.py): msgIds and the time."""

from __future__ import annotations

from datetime import UTC, timedelta

from bot.gateway.protocol import QUERY_PATH, TOKEN_PATH, new_msg_id, utc_now


def test_every_msg_id_is_new_and_fits_the_gateways_64_characters() -> None:
    ids = {new_msg_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("qri") and len(i) == 35 and i.isalnum() for i in ids)


def test_the_time_now_is_aware_and_in_utc() -> None:
    now = utc_now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert now.tzinfo == UTC


def test_the_paths_are_absolute_and_distinct() -> None:
    assert QUERY_PATH.startswith("/v1/")
    assert TOKEN_PATH.startswith("/v1/")
    assert QUERY_PATH != TOKEN_PATH
