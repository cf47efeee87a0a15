"""The one check of how many lookups one /qrinfo takes (bot/service/batch_limit.py)."""

from __future__ import annotations

import pytest

from bot.service.batch_limit import MAX_BATCH, TooManyLookups, check_batch_size


@pytest.mark.parametrize("count", [0, 1, MAX_BATCH])
def test_up_to_max_batch_lookups_pass(count: int) -> None:
    check_batch_size(count)


def test_one_past_max_batch_is_refused_saying_how_many_and_the_limit() -> None:
    with pytest.raises(TooManyLookups) as caught:
        check_batch_size(MAX_BATCH + 1)
    assert caught.value.count == MAX_BATCH + 1
    assert str(caught.value) == f"{MAX_BATCH + 1} lookups at once; at most {MAX_BATCH}"
