"""Burst benchmark: N signed /qrinfo commands at concurrency C against the app in its own process.

    uv run python bench/run.py                       # N=1000, C=100, sandbox latency 500 ms
    uv run python bench/run.py --auth token          # the same in OPEN-ACCESS-TOKEN mode
    uv run python bench/run.py -n 5000 -c 500        # overload
    uv run python bench/run.py --replicas 3          # three replicas sharing a Redis
    uv run python bench/run.py --payment both        # without, then with, the payment status

Processes: the sandbox gateway (``qrinfo sandbox``, with latency), the app
(``qrinfo serve --http``), the floor (bench/floor_app.py: a bare AsyncApp that
only acks), a stand-in for Slack's Web API (bench/fake_slack.py: ``auth.test``,
and ``users.info`` with half the users in zh-CN) and this driver, which also
serves the response_url sink. With ``--replicas N``, N app processes share a
``redis-server`` the driver starts, and the commands go round-robin to them (as a
load balancer would). All traffic stays on 127.0.0.1. Prints a table and writes
JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.kit.simulate import signed_headers, slash_command_body
from bot.kit.sink import Delivery, ResponseSink

ROOT = Path(__file__).resolve().parent.parent
BENCH_MID = "898340149000005"


def command_text(i: int) -> str:
    """Each command asks for its own code (a sandbox family), so none share a gateway call."""
    return f"{BENCH_MID} BNCH{i:022d}"


def user(i: int) -> str:
    return f"U{i:09d}"


# How long the lookup took, as the card's context says it in English or in Chinese.
LOOKUP_MS = re.compile(r"(?: in |用时 )([\d,]+) (?:ms|毫秒)")
LAST_CARD_MARGIN_S = 0.7
BOT_TOKEN = "xoxb-bench-not-a-real-token"  # noqa: S105  # goes only to the fake auth.test


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process(
    args: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process, interrupted (then killed) on the way out."""
    child = subprocess.Popen(  # noqa: S603  # our own interpreter and modules
        args, env=(os.environ | (env or {})), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=None
    )
    try:
        yield child
    finally:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


async def wait_healthy(
    session: aiohttp.ClientSession, url: str, seconds: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    data: dict[str, Any] = await response.json()
                    return data
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} never became healthy")
        await asyncio.sleep(0.1)


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """From /proc: VmHWM, the process's peak resident memory, or VmRSS, its current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Burst:
    n: int
    concurrency: int
    ack_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    last_ack_s: float = 0.0
    started: float = 0.0
    cpu_ms_per_command: float | None = None  # the floor's, measured around its burst

    def summary(self) -> dict[str, Any]:
        return {
            "ack_p50_ms": round(percentile(self.ack_ms, 0.50), 1),
            "ack_p95_ms": round(percentile(self.ack_ms, 0.95), 1),
            "ack_p99_ms": round(percentile(self.ack_ms, 0.99), 1),
            "ack_max_ms": round(max(self.ack_ms), 1),
            "acks_over_3s": sum(1 for a in self.ack_ms if a > 3000),
            "statuses": self.statuses,
            "last_ack_s": round(self.last_ack_s, 3),
        } | (
            {"cpu_ms_per_command": round(self.cpu_ms_per_command, 2)}
            if self.cpu_ms_per_command is not None
            else {}
        )


async def fire(
    session: aiohttp.ClientSession,
    url: str | list[str],
    *,
    secret: str,
    sink: ResponseSink,
    n: int,
    concurrency: int,
    offset: int = 0,
) -> Burst:
    """N signed commands, at most *concurrency* awaiting their ack at once (round-robin over
    several URLs, when given several)."""
    urls = [url] if isinstance(url, str) else url
    bodies = [
        slash_command_body(
            command_text(offset + i), response_url=sink.url(f"/r/{offset + i}"), user_id=user(i)
        )
        for i in range(n)
    ]
    headers = [signed_headers(body, secret) for body in bodies]
    result = Burst(n=n, concurrency=concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            sent = time.perf_counter()
            try:
                target = urls[i % len(urls)]
                async with session.post(target, data=bodies[i], headers=headers[i]) as response:
                    await response.read()
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            done = time.perf_counter()
            result.ack_ms.append((done - sent) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.last_ack_s = max(result.last_ack_s, done - result.started)

    result.started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    return result


async def collect(sink: ResponseSink, n: int, wait: float) -> list[Delivery]:
    """Up to n deliveries, waiting at most *wait* seconds for the next one."""
    got: list[Delivery] = []
    while len(got) < n:
        try:
            got.append(await sink.next(wait))
        except TimeoutError:
            break
    return got


@dataclass
class Setup:
    """Ports, secrets and commands of one run."""

    args: argparse.Namespace
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    sandbox_port: int = field(default_factory=free_port)
    app_port: int = field(default_factory=free_port)
    floor_port: int = field(default_factory=free_port)
    more_ports: list[int] = field(default_factory=list)  # replicas beyond the first
    redis_url: str | None = None

    @property
    def app_ports(self) -> list[int]:
        return [self.app_port, *self.more_ports]

    def url(self, port: int, path: str) -> str:
        return f"http://127.0.0.1:{port}{path}"

    def sandbox_cmd(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "bot",
            "sandbox",
            "--port",
            str(self.sandbox_port),
            "--latency-ms",
            str(self.args.latency_ms),
        ]

    def app_cmd(self, port: int | None = None) -> list[str]:
        profiler = ["-m", "cProfile", "-o", str(self.args.profile)] if self.args.profile else []
        return [
            sys.executable,
            *profiler,
            "-m",
            "bot",
            "serve",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            str(port or self.app_port),
        ]

    def app_env(self, api_url: str) -> dict[str, str]:
        env = {
            "CHINAUMS_ENV": "sandbox",
            "CHINAUMS_BASE_URL": self.url(self.sandbox_port, ""),
            "CHINAUMS_AUTH": self.args.auth,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": self.secret,
            "SLACK_API_URL": api_url,
            # A burst of 1,000 from one workspace is the point here, not something to refuse.
            "QRINFO_USER_RATE": "100000",
            "QRINFO_WORKSPACE_RATE": "1000000",
        }
        if self.args.max_in_flight:
            env["CHINAUMS_MAX_IN_FLIGHT"] = str(self.args.max_in_flight)
        if self.args.payment == "off":
            env["CHINAUMS_PAYMENT_TIMEOUT"] = "0"  # no bills/query: the card as before it
        if self.redis_url:
            env["QRINFO_REDIS_URL"] = self.redis_url
        return env


async def run_floor(setup: Setup, session: aiohttp.ClientSession, sink: ResponseSink) -> Burst:
    """The same burst against a bare AsyncApp that only acks."""
    args = setup.args
    floor_cmd = [sys.executable, "bench/floor_app.py", "--port", str(setup.floor_port)]
    with process(floor_cmd, {"SLACK_SIGNING_SECRET": setup.secret}) as floor:
        await wait_healthy(session, setup.url(setup.floor_port, "/healthz"))
        events = setup.url(setup.floor_port, "/slack/events")
        common = {"secret": setup.secret, "sink": sink, "concurrency": args.concurrency}
        await fire(session, events, n=min(args.n, 100), **common)  # warm-up
        before = cpu_seconds(floor.pid)
        burst = await fire(session, events, n=args.n, **common)
        burst.cpu_ms_per_command = (cpu_seconds(floor.pid) - before) * 1000 / args.n
        return burst


async def single_lookups(
    setup: Setup, session: aiohttp.ClientSession, sink: ResponseSink
) -> float | None:
    """Median time a reply lands after the gateway's latency, one lookup at a time (None
    with ``--single 0``: none asked)."""
    if setup.args.single < 1:
        return None
    events = setup.url(setup.app_port, "/slack/events")
    over_latency: list[float] = []
    for i in range(setup.args.single + 3):
        body = slash_command_body(
            command_text(900_000_000 + i), response_url=sink.url(f"/single/{i}")
        )
        sent = time.perf_counter()
        headers = signed_headers(body, setup.secret)
        async with session.post(events, data=body, headers=headers) as response:
            await response.read()
        delivery = await sink.next(10)
        if i >= 3:  # the first few warm up connections and caches
            over_latency.append((delivery.received_at - sent) * 1000 - setup.args.latency_ms)
    return round(float(statistics.median(over_latency)), 1)


async def run_app(
    setup: Setup,
    session: aiohttp.ClientSession,
    sink: ResponseSink,
    *,
    api_url: str,
    sandbox_pid: int,
) -> dict[str, Any]:
    """The burst against the real app, with its replies, token calls and memory."""
    args = setup.args
    health = setup.url(setup.sandbox_port, "/healthz")
    with ExitStack() as stack:
        apps = [
            stack.enter_context(process(setup.app_cmd(port), setup.app_env(api_url)))
            for port in setup.app_ports
        ]
        for port in setup.app_ports:
            await wait_healthy(session, setup.url(port, "/healthz"))
        # The burst comes first, on a cold process: no token cached, no connections open.
        before = await wait_healthy(session, health)
        spy = stack.enter_context(sampled(apps[0].pid, args.py_spy))
        cpu_before = apps_cpu(apps), cpu_seconds(sandbox_pid), time.process_time()

        async def one_round(number: int) -> Burst:
            return await fire(
                session,
                [setup.url(port, "/slack/events") for port in setup.app_ports],
                secret=setup.secret,
                sink=sink,
                n=args.n,
                concurrency=args.concurrency,
                offset=number * args.n,
            )

        burst = await one_round(0)
        deliveries = await collect(sink, args.n, wait=15)
        cpu_after = apps_cpu(apps), cpu_seconds(sandbox_pid), time.process_time()
        spy.close()
        app_cpu, sandbox_cpu, driver_cpu = (
            b - a for a, b in zip(cpu_before, cpu_after, strict=True)
        )
        after = await wait_healthy(session, health)
        texts = [d.payload.get("text", "") for d in deliveries]
        # Each card's context says how long its lookup took ("in 512 ms"), slot wait included.
        took = [
            float(m.group(1).replace(",", ""))
            for d in deliveries
            if (m := LOOKUP_MS.search(json.dumps(d.payload)))
        ]
        last = max((d.received_at for d in deliveries), default=burst.started)
        # Further identical bursts on the same process: memory that keeps growing is a leak.
        settled = [round(max(rss_mb(a.pid, "VmRSS") for a in apps), 1)]
        lost_later = 0
        for round_number in range(1, args.rounds):
            await one_round(round_number)
            lost_later += args.n - len(await collect(sink, args.n, wait=15))
            settled.append(round(max(rss_mb(a.pid, "VmRSS") for a in apps), 1))
        return {
            "app": burst.summary(),
            "replies_delivered": len({d.path for d in deliveries}),
            "replies_lost": args.n - len({d.path for d in deliveries}),
            "busy_cards": sum("gateway is busy" in t or "网关繁忙" in t for t in texts),
            "chinese_cards": sum(
                "用时" in json.dumps(d.payload, ensure_ascii=False) for d in deliveries
            ),
            "found_cards": sum(t.startswith("压测商户") for t in texts),
            "last_reply_s": round(last - burst.started, 3),
            "lookup_ms_p50": round(percentile(took, 0.5), 1) if took else None,
            "lookup_ms_max": round(max(took), 1) if took else None,
            "token_requests": after["tokenRequests"] - before["tokenRequests"],
            "gateway_peak_in_flight": after["peakInFlight"],
            "app_peak_rss_mb": round(max(rss_mb(a.pid) for a in apps), 1),
            "app_rss_after_each_round_mb": settled,
            "replies_lost_in_later_rounds": lost_later,
            "app_cpu_ms_per_command": round(app_cpu * 1000 / args.n, 2),
            "sandbox_cpu_ms_per_command": round(sandbox_cpu * 1000 / args.n, 2),
            "driver_cpu_ms_per_command": round(driver_cpu * 1000 / args.n, 2),
            "app_alive": all(a.poll() is None for a in apps),
            # Then one lookup at a time, once the burst has drained.
            "single_reply_over_latency_ms_median": await single_lookups(setup, session, sink),
        }


class _Sampler:
    """py-spy attached to a process until closed (or nothing, when no output is asked)."""

    def __init__(self, child: subprocess.Popen[bytes] | None) -> None:
        self.child = child

    def close(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGINT)
            self.child.wait(timeout=30)


@contextmanager
def sampled(pid: int, out: Path | None) -> Iterator[_Sampler]:
    """Sample *pid*'s Python stacks with py-spy (``--py-spy FILE``, a raw flame-graph file of
    folded stacks) from now until the sampler is closed: a sampling profiler, so the
    app runs at its own speed, unlike under cProfile."""
    spy = shutil.which("py-spy")
    if out is None:
        yield _Sampler(None)
        return
    if spy is None:
        raise SystemExit("--py-spy needs py-spy on PATH (pip install py-spy)")
    command = [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "1000",
               "--nonblocking", "--output", str(out)]  # fmt: skip
    sampler = _Sampler(subprocess.Popen(command, stdout=subprocess.DEVNULL))  # noqa: S603
    time.sleep(0.5)  # attached before the first command
    try:
        yield sampler
    finally:
        sampler.close()


def apps_cpu(apps: list[subprocess.Popen[bytes]]) -> float:
    return sum(cpu_seconds(a.pid) for a in apps)


@contextmanager
def redis_for(replicas: int) -> Iterator[str | None]:
    """A redis-server on a free port for several replicas; nothing for one."""
    if replicas <= 1:
        yield None
        return
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("--replicas needs redis-server (apt-get install redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        command = [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
                   "--save", "", "--appendonly", "no"]  # fmt: skip
        with process(command):
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    setup = Setup(args, more_ports=[free_port() for _ in range(args.replicas - 1)])
    slack_port = free_port()
    api_url = f"http://127.0.0.1:{slack_port}/api/"
    slack_cmd = [sys.executable, "bench/fake_slack.py", "--port", str(slack_port)]
    report: dict[str, Any] = {
        "n": args.n,
        "concurrency": args.concurrency,
        "latency_ms": args.latency_ms,
        "payment": args.payment,
        "auth": args.auth,
        "cores": os.cpu_count(),
        "replicas": args.replicas,
    }
    connector = aiohttp.TCPConnector(limit=args.concurrency + 10)
    async with aiohttp.ClientSession(connector=connector) as session, ResponseSink() as sink:
        with (
            process(setup.sandbox_cmd()) as sandbox,
            process(slack_cmd),
            redis_for(args.replicas) as redis_url,
        ):
            setup.redis_url = redis_url
            await wait_healthy(session, setup.url(setup.sandbox_port, "/healthz"))
            await wait_healthy(session, setup.url(slack_port, "/stats"))
            if not args.skip_floor:
                report["floor"] = (await run_floor(setup, session, sink)).summary()
            report |= await run_app(setup, session, sink, api_url=api_url, sandbox_pid=sandbox.pid)
            slack_calls = await wait_healthy(session, setup.url(slack_port, "/stats"))
            report["locale_lookups"] = slack_calls["users.info"]
    if "floor" in report:
        floor_p99 = max(report["floor"]["ack_p99_ms"], 0.1)
        report["ratio_ack_p99_to_floor"] = round(report["app"]["ack_p99_ms"] / floor_p99, 2)
        floor_all = max(report["floor"]["last_ack_s"], 0.001)
        report["ratio_all_acked_to_floor"] = round(report["app"]["last_ack_s"] / floor_all, 2)
        # The last card within the floor's acks, one gateway latency and 0.7 s (issue 25).
        budget = report["floor"]["last_ack_s"] + args.latency_ms / 1000 + LAST_CARD_MARGIN_S
        report["last_reply_budget_s"] = round(budget, 3)
    return report


def _quad(stats: dict[str, Any]) -> str:
    keys = ("ack_p50_ms", "ack_p95_ms", "ack_p99_ms", "ack_max_ms")
    return " / ".join(str(stats[k]) for k in keys)


def table(report: dict[str, Any]) -> str:
    app, floor = report["app"], report.get("floor", {})
    burst = (
        f"N={report['n']} C={report['concurrency']} latency={report['latency_ms']} ms "
        f"auth={report['auth']} cores={report['cores']} replicas={report['replicas']}"
    )
    rows = [("burst", burst), ("ack p50 / p95 / p99 / max (ms)", _quad(app))]
    if floor:
        rows.append(("floor ack p50 / p95 / p99 / max", _quad(floor)))
        rows.append(("ack p99 ratio to floor", f"{report['ratio_ack_p99_to_floor']}x"))
        rows.append(("all acked, ratio to floor", f"{report['ratio_all_acked_to_floor']}x"))
    rows += [
        ("acks slower than 3 s", str(app["acks_over_3s"])),
        ("HTTP statuses", json.dumps(app["statuses"])),
        ("replies delivered / lost", f"{report['replies_delivered']} / {report['replies_lost']}"),
        ("found / busy cards", f"{report['found_cards']} / {report['busy_cards']}"),
        (
            "users.info calls / cards in Chinese",
            f"{report['locale_lookups']} / {report['chinese_cards']}",
        ),
        ("last ack (s)", str(app["last_ack_s"])),
        ("last reply (s)", str(report["last_reply_s"])),
        (
            "lookup duration p50 / max (ms)",
            f"{report['lookup_ms_p50']} / {report['lookup_ms_max']}",
        ),
    ]
    if floor:
        rows.append(("floor last ack (s)", str(floor["last_ack_s"])))
        rows.append(("floor CPU per command (ms)", str(floor.get("cpu_ms_per_command"))))
        rows.append(
            ("last reply budget (floor + latency + 0.7 s)", str(report["last_reply_budget_s"]))
        )
    rows += [
        ("token requests", str(report["token_requests"])),
        ("gateway peak in flight", str(report["gateway_peak_in_flight"])),
        ("app peak memory (MB, the largest replica)", str(report["app_peak_rss_mb"])),
        ("app memory after each round (MB)", str(report["app_rss_after_each_round_mb"])),
        ("replies lost in later rounds", str(report["replies_lost_in_later_rounds"])),
        (
            "CPU per command: app (all replicas) / sandbox / driver (ms)",
            f"{report['app_cpu_ms_per_command']} / {report['sandbox_cpu_ms_per_command']}"
            f" / {report['driver_cpu_ms_per_command']}",
        ),
        (
            "single lookup: reply after latency, median (ms)",
            str(report["single_reply_over_latency_ms_median"]),
        ),
        ("app still running", str(report["app_alive"])),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def compare_payment(args: argparse.Namespace) -> dict[str, Any]:
    """The same burst without and then with the payment status: what the second gateway
    call costs in CPU per command and in time to the last card."""
    runs = {}
    for payment in ("off", "on"):
        runs[payment] = asyncio.run(run(argparse.Namespace(**(vars(args) | {"payment": payment}))))
        print(f"--- payment status {payment} ---\n{table(runs[payment])}\n")
    off, on = runs["off"], runs["on"]
    cost = {
        "app_cpu_ms_per_command": [off["app_cpu_ms_per_command"], on["app_cpu_ms_per_command"]],
        "last_reply_s": [off["last_reply_s"], on["last_reply_s"]],
        "single_reply_over_latency_ms_median": [
            off["single_reply_over_latency_ms_median"],
            on["single_reply_over_latency_ms_median"],
        ],
        "found_cards": [off["found_cards"], on["found_cards"]],
    }
    for name, (before, after) in cost.items():
        print(f"{name:<40} off {before}  on {after}")
    return {"payment_off": off, "payment_on": on, "cost": cost}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="commands in the burst (1000)")
    parser.add_argument(
        "-c", "--concurrency", type=int, default=100, help="awaiting their ack at once (100)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=500, help="sandbox gateway latency (500)"
    )
    parser.add_argument("--auth", choices=["body-sig", "token"], default="body-sig")
    parser.add_argument(
        "--max-in-flight", type=int, default=None, help="CHINAUMS_MAX_IN_FLIGHT for the app"
    )
    parser.add_argument("--rounds", type=int, default=1, help="bursts on the same app process (1)")
    parser.add_argument(
        "--replicas", type=int, default=1, help="app processes sharing a Redis, round-robin (1)"
    )
    parser.add_argument(
        "--single", type=int, default=21, help="sequential single lookups for the no-load figure"
    )
    parser.add_argument(
        "--skip-floor", action="store_true", help="do not run the bare-AsyncApp floor"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="write a cProfile of the app process here"
    )
    parser.add_argument(
        "--py-spy", type=Path, default=None, help="sample the app with py-spy into this file"
    )
    parser.add_argument(
        "--payment",
        choices=["on", "off", "both"],
        default="on",
        help="ask bills/query for each found bill (on), not (off), or both bursts in one run",
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="where to write the JSON (bench/results/...)"
    )
    args = parser.parse_args()
    if args.payment == "both":
        report = compare_payment(args)
    else:
        report = asyncio.run(run(args))
        print(table(report))
    out = (
        args.json
        or ROOT
        / "bench"
        / "results"
        / f"burst-n{args.n}-c{args.concurrency}-{args.auth}-r{args.replicas}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
