"""What every ``qrinfo`` command shares at the terminal: the exit codes, and writing its
output and its one failure line."""

from __future__ import annotations

import sys

from bot.config import log_format_setting
from bot.logs import fail_line

EXIT_OK = 0
EXIT_OUTPUT = 1  # stdout would not take the output
EXIT_BAD_INPUT = 2
EXIT_REJECTED = 3
EXIT_UNAVAILABLE = 4


class OutputFailed(Exception):
    """stdout would not take the output (a full disk, a closed file): one line, not a traceback."""


def out(text: str, *, end: str = "\n") -> None:
    """Print *text* to stdout, now: a failure to write is ours to report, not the exit's."""
    if sys.stdout is None:  # started with stdout closed (`qrinfo demo >&-`)
        raise OutputFailed("stdout is closed")
    try:
        print(text, end=end, flush=True)
    except BrokenPipeError:
        raise  # the reader left: handled in main()
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from None


def fail(code: int, message: str) -> int:
    # In the log format: with QRINFO_LOG_FORMAT=json, even a bad setting is one JSON object.
    print(fail_line(message, log_format_setting()), file=sys.stderr)
    return code
