"""Where a command's CPU goes: a py-spy profile of a burst, folded into a table.

    uv run python bench/run.py --py-spy /tmp/burst.txt --payment off --skip-floor
    uv run python bench/where.py /tmp/burst.txt --cpu-ms 1.40

Each sample (a stack, innermost frame last) is put in the first part below whose
pattern matches anywhere in its stack; the share of samples becomes milliseconds per
command when ``--cpu-ms`` (the app's CPU per command from the same run) is given. A
waiting thread (the audit writer's ``Condition.wait``) is left out: py-spy counts it
as busy when it is not. Parts are listed from the innermost (what was being done)
outwards (on whose behalf), so a sample lands where it is most specific.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

PARTS: list[tuple[str, str]] = [
    ("users.info (asking a reader's language)", r"users_info|Readers\._ask"),
    ("reply to the response_url", r"send_card|PooledRespond|post_json|AsyncWebhookClient"),
    ("gateway call (signing, HTTP, reading the reply)", r"QrCodeClient|BodySigAuth"),
    ("drawing the card", r"outcome_card|bot/slack/cards/"),
    ("audit line, logs", r"audit\.py|logging/__init__|bot/logs\.py"),
    ("metrics", r"metrics|prometheus"),
    ("lookup service (guard, joining, answer)", r"bot/service/"),
    ("Bolt (dispatch, middleware, request)", r"slack_bolt"),
    ("front door (signature, form, shape)", r"FrontDoor|front_door|reading/inbound"),
    ("aiohttp server (parsing, routing, writing the ack)", r"aiohttp/web|http_server"),
    (
        "outbound HTTP, resumed from the loop (any of the three calls)",
        r"aiohttp/client|aiohappyeyeballs|aiohttp/connector|aiohttp/http_writer|aiohttp/streams"
        r"|httpx|bot/http1/|httptools",
    ),
    ("the event loop itself (uvloop, I/O)", r"Runner\.run|run_until_complete"),
]
IDLE = re.compile(r"Condition\.wait")


def fold(path: Path) -> tuple[Counter[str], int]:
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, number = line.rpartition(" ")
        if IDLE.search(stack):
            continue
        samples = int(number)
        total += samples
        part = next((name for name, pattern in PARTS if re.search(pattern, stack)), "other")
        counts[part] += samples
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--cpu-ms", type=float, default=None, help="app CPU per command (ms)")
    args = parser.parse_args()
    counts, total = fold(args.profile)
    print(f"| part | share | ms per command |  ({total} samples)")
    print("|---|---|---|")
    for name, samples in counts.most_common():
        share = samples / total
        ms = f"{share * args.cpu_ms:.2f}" if args.cpu_ms else "-"
        print(f"| {name} | {share:.0%} | {ms} |")


if __name__ == "__main__":
    main()
