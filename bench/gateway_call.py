"""Micro-benchmark: the client process's CPU per gateway call, the HTTP stack's share of it.

    uv run python bench/gateway_call.py                  # N=3000, C=100, both paths
    uv run python bench/gateway_call.py --on-http1 off   # only the httpx path
    uv run python bench/gateway_call.py --loop asyncio   # Python's own loop, not uvloop

``qrinfo sandbox`` runs on a loopback port in its own process (no latency); this process
builds the client as production does (``new_gateway_http``, then ``create_client`` on the
settings' ``gateway_config`` as ``build_gateway`` does, OPEN-BODY-SIG) and makes N
``query_qrcode_info`` calls at concurrency C, each for its own code. It prints this process's
CPU (user + system) per call, after a warm-up, with the path around httpx
(bot/gateway/on_http1.py) on and off, on uvloop as ``qrinfo serve`` runs (or asyncio's loop).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_MID, free_port, process, wait_healthy

from bot.config import load_settings
from bot.gateway.client import QrCodeClient, create_client
from bot.wiring.build import gateway_config, new_gateway_http


async def burst(client: QrCodeClient, *, start: int, n: int, concurrency: int) -> None:
    """*n* lookups, *concurrency* at a time, each for its own code (none joined)."""
    codes = iter(range(start, start + n))

    async def worker() -> None:
        for i in codes:
            await client.query_qrcode_info(BENCH_MID, f"BNCH{i:022d}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(base_url: str, *, on_http1: bool, n: int, concurrency: int) -> float:
    """CPU milliseconds per call on the path around httpx (*on_http1*) or not, on a fresh client."""
    settings = load_settings()
    http = new_gateway_http(settings)
    client = create_client(gateway_config(settings), http, on_http1=on_http1)
    try:
        await burst(client, start=0, n=min(n, 500), concurrency=concurrency)  # warm-up
        before = time.process_time()
        await burst(client, start=n, n=n, concurrency=concurrency)
        return (time.process_time() - before) * 1000 / n
    finally:
        await http.aclose()


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    os.environ |= {
        "CHINAUMS_ENV": "sandbox",
        "CHINAUMS_BASE_URL": base_url,
        "CHINAUMS_AUTH": "body-sig",
        "CHINAUMS_MAX_IN_FLIGHT": str(max(args.concurrency, 1)),
    }
    command = [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--latency-ms", "0"]
    with process(command):
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, base_url + "/healthz")
        modes = {"on": [True], "off": [False], "both": [False, True]}[args.on_http1]
        for _ in range(args.rounds):
            for on_http1 in modes:
                ms = await measure(
                    base_url, on_http1=on_http1, n=args.n, concurrency=args.concurrency
                )
                label = "on http1" if on_http1 else "httpx over httpx-aiohttp"
                mode = f"(N={args.n}, C={args.concurrency})"
                print(f"{label:26} {ms * 1000:7.1f} µs CPU per call  {mode}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=3000, help="calls measured (3000)")
    parser.add_argument("-c", "--concurrency", type=int, default=100, help="at once (100)")
    parser.add_argument("--on-http1", choices=["on", "off", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=2, help="each mode this many times (2)")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    arguments = parser.parse_args()
    if arguments.loop == "uvloop":
        import uvloop  # as serve does

        uvloop.run(main(arguments))
    else:
        asyncio.run(main(arguments))
