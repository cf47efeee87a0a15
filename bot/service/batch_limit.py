"""How many lookups one /qrinfo (or one form) takes, and the one check of it.

Every path asks :func:`check_batch_size`: the command's and the form's lists as typed and
once routed (the Slack side), and :func:`bot.service.lookup.look_up_many` itself.
"""

from __future__ import annotations

MAX_BATCH = 20  # lookups at once (one /qrinfo, one form): one compact card, a line each


class TooManyLookups(Exception):
    """More than MAX_BATCH distinct lookups asked at once."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(f"{count} lookups at once; at most {MAX_BATCH}")


def check_batch_size(count: int) -> None:
    """TooManyLookups when *count* lookups are more than one /qrinfo (or one form) takes."""
    if count > MAX_BATCH:
        raise TooManyLookups(count)
