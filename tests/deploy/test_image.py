"""qrinfo's container image, run with podman as an orchestrator would run it.

QRINFO_TEST_IMAGE names the image (.ci/run builds it: deploy/image/build.sh); without it
these tests are skipped, except under CI (CI set), where they fail. podman reads
CONTAINERS_CONF as usual (on these machines it must name runc and no default ulimits:
.ci/run writes one). Every container runs on the host's network, so it reaches the
loopback servers a test starts (a fake Slack, a response_url sink, a slow sandbox).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.kit.sink import ResponseSink
from bot.sandbox.faults import FaultConfig
from bot.sandbox.gateway import SandboxGateway
from tests.processes import ROOT, SECRET, free_port, post_command, sandbox_on_loopback
from tests.slack.fakes import BOT_TOKEN, FakeSlackApi

pytestmark = pytest.mark.processes  # every test here starts the bot or a container

# Read at import: the autouse _clean_environment fixture removes QRINFO_* before each test.
IMAGE = os.environ.get("QRINFO_TEST_IMAGE", "")
PODMAN = shutil.which("podman")
SEED_COMMAND = "898340149000005 31942002268195125132885377"  # the demo's: the seed card
SEED_CARD = ("测试商户", "¥0.02")
USER = "10001:10001"
# What podman does is bounded (so a hung container fails the test), never measured here.
PODMAN_WAIT = 60.0
MAX_ADDED_BYTES = 100 * 1000 * 1000  # the "at most 100 MB" over the base


@pytest.fixture
def image() -> str:
    """The image under test, or a skip (a failure under CI) saying how to get one."""
    reason = ""
    if not IMAGE:
        reason = (
            "QRINFO_TEST_IMAGE is not set: build the image (deploy/image/build.sh "
            "localhost/qrinfo:dev) and set QRINFO_TEST_IMAGE=localhost/qrinfo:dev; "
            ".ci/run does both"
        )
    elif PODMAN is None:
        reason = f"QRINFO_TEST_IMAGE={IMAGE} but no podman on PATH (apt-get install podman)"
    if reason:
        if os.environ.get("CI"):  # CI: never skipped
            pytest.fail(reason)
        pytest.skip(reason)
    return IMAGE


@dataclass(frozen=True, slots=True)
class Ran:
    code: int
    out: str
    err: str


async def podman(*args: str, wait: float = PODMAN_WAIT) -> Ran:
    """One podman command to its end (TimeoutError after *wait* s: a bound)."""
    assert PODMAN is not None
    child = await asyncio.create_subprocess_exec(
        PODMAN, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), wait)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode is not None
    return Ran(child.returncode, out.decode(), err.decode())


async def checked(*args: str, wait: float = PODMAN_WAIT) -> str:
    """podman's stdout; a failure shows what podman said."""
    ran = await podman(*args, wait=wait)
    assert ran.code == 0, f"podman {' '.join(args)} exited {ran.code}: {ran.err}"
    return ran.out


async def inspect(name: str) -> dict[str, Any]:
    """`podman image inspect` of one image."""
    found = json.loads(await checked("image", "inspect", name))
    assert len(found) == 1
    return dict(found[0])


@pytest.fixture
async def containers() -> AsyncIterator[list[str]]:
    """Names for this test's containers; every one is removed afterwards, whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        await podman("rm", "--force", "--time", "0", name)


def new_name(containers: list[str]) -> str:
    name = f"qrinfo-test-{uuid.uuid4().hex[:12]}"
    containers.append(name)
    return name


@pytest.fixture
async def slow_sandbox_url() -> AsyncIterator[str]:
    """The sandbox gateway on loopback, every lookup taking 1.5 s: a stop finds them running."""
    async with sandbox_on_loopback(SandboxGateway(faults=FaultConfig(latency_ms=1500))) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def serve_options(slack_api: FakeSlackApi, port: int, **more: str) -> list[str]:
    """`podman run` options for `serve` (the image's default command) in HTTP mode, locked
    down as the Kubernetes manifests run it: read-only root, no capabilities, no new
    privileges, the image's own numeric user."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api.url,
        "CHINAUMS_ENV": "sandbox",
        "PORT": str(port),
        "QRINFO_AUDIT_LOG": "-",
        **more,
    }
    options = [
        "--network", "host",
        "--read-only",
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--user", USER,
    ]  # fmt: skip
    for key, value in env.items():
        options += ["--env", f"{key}={value}"]
    return options


async def get_status(http: aiohttp.ClientSession, url: str) -> int | None:
    """The status of GET *url*, None while nothing answers."""
    try:
        async with http.get(url) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return None


async def until_healthy(http: aiohttp.ClientSession, base: str, name: str) -> None:
    """Poll /healthz until it answers 200 (within 30 s, a bound; the container's logs if not)."""
    until = time.monotonic() + 30
    while time.monotonic() < until:
        if await get_status(http, base + "/healthz") == 200:
            return
        state = (await checked("inspect", "--format", "{{.State.Status}}", name)).strip()
        if state != "running":
            logs = await podman("logs", name)
            pytest.fail(f"container {state} before listening: {logs.out}{logs.err}")
        await asyncio.sleep(0.02)
    logs = await podman("logs", name)
    pytest.fail(f"no 200 on /healthz within 30 s: {logs.out}{logs.err}")


async def exit_code(name: str) -> int:
    return int((await checked("inspect", "--format", "{{.State.ExitCode}}", name)).strip())


async def test_demo_prints_the_seed_card_in_a_read_only_container(
    image: str, containers: list[str]
) -> None:
    """`demo` with nothing configured, a read-only root and no network prints the seed card."""
    ran = await podman(
        "run", "--rm", "--name", new_name(containers), "--read-only", "--network", "none",
        image, "demo",
    )  # fmt: skip
    assert ran.code == 0, ran.err
    for text in SEED_CARD:
        assert text in ran.out
    assert "Traceback" not in ran.err


async def test_the_image_runs_its_entry_point_as_a_numeric_non_root_user_without_uv(
    image: str, containers: list[str]
) -> None:
    """The image's user is numeric and not root, its entry point is the installed qrinfo, and
    no uv is on its PATH or in its virtual environment."""
    config = (await inspect(image))["Config"]
    assert config["Entrypoint"] == ["/app/.venv/bin/qrinfo"]
    assert config["Cmd"] == ["serve"]
    uid, _, gid = config["User"].partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert int(uid) != 0
    assert int(gid) != 0
    probe = (
        "import json, os, shutil; print(json.dumps({'uid': os.getuid(), "
        "'uv': shutil.which('uv'), 'bin': sorted(os.listdir('/app/.venv/bin')), "
        "'venv_writable': os.access('/app/.venv/lib', os.W_OK)}))"
    )
    ran = await podman(
        "run", "--rm", "--name", new_name(containers), "--read-only", "--network", "none",
        "--entrypoint", "/app/.venv/bin/python", image, "-c", probe,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    seen = json.loads(ran.out)
    assert seen["uid"] == int(uid)
    assert seen["uv"] is None
    assert not [name for name in seen["bin"] if name.startswith("uv")]
    assert "qrinfo" in seen["bin"]
    assert seen["venv_writable"] is False  # the bot cannot change its own code


CODE_DIGEST = """
import hashlib, pathlib, sys
root = pathlib.Path(sys.argv[1])
digest = hashlib.sha256()
for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
    digest.update(str(path.relative_to(root)).encode() + b"\\0" + path.read_bytes())
print(digest.hexdigest())
"""


async def test_the_image_holds_the_code_it_was_built_from(
    image: str, containers: list[str]
) -> None:
    """The package installed in the image is byte for byte the checkout's bot/: an upgrade
    never ships a wheel uv built from older code and kept in its cache."""
    site = "/app/.venv/lib/python3.11/site-packages/bot"
    ran = await podman(
        "run", "--rm", "--name", new_name(containers), "--read-only", "--network", "none",
        "--entrypoint", "/app/.venv/bin/python", image, "-c", CODE_DIGEST, site,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    local = await asyncio.create_subprocess_exec(  # the same digest of the checkout
        sys.executable, "-c", CODE_DIGEST, str(ROOT / "bot"), stdout=asyncio.subprocess.PIPE
    )
    here, _ = await local.communicate()
    assert ran.out == here.decode()


async def test_serve_in_a_locked_down_container_answers_a_signed_command_and_its_probes(
    image: str,
    containers: list[str],
    slack_api: FakeSlackApi,
    http: aiohttp.ClientSession,
) -> None:
    """`serve` in a read-only container without capabilities answers a signed /qrinfo with the
    seed card, answers /livez and /readyz with 200, and exits 0 on `podman stop`."""
    name = new_name(containers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await checked("run", "--detach", "--name", name, *serve_options(slack_api, port), image)
    await until_healthy(http, base, name)
    async with ResponseSink() as sink:
        assert await post_command(http, base, SEED_COMMAND, sink.url()) == 200
        card = json.dumps((await sink.next(20)).payload, ensure_ascii=False)
    for text in SEED_CARD:
        assert text in card
    assert await get_status(http, base + "/healthz") == 200
    live, ready = await get_status(http, base + "/livez"), await get_status(http, base + "/readyz")
    await checked("stop", "--time", "30", name, wait=40)
    logs = await podman("logs", name)
    assert await exit_code(name) == 0, logs.err
    assert "Traceback" not in logs.out + logs.err
    # Last, so that a missing probe endpoint leaves every other finding above checked.
    assert (live, ready) == (200, 200)


async def test_podman_stop_with_lookups_in_flight_delivers_every_acked_card_then_exits_0(
    image: str,
    containers: list[str],
    slack_api: FakeSlackApi,
    slow_sandbox_url: str,
    http: aiohttp.ClientSession,
) -> None:
    """Twenty commands acked, then `podman stop`: not ready but live while it drains, every card
    delivered, exit 0, no traceback."""
    name = new_name(containers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    options = serve_options(slack_api, port, CHINAUMS_BASE_URL=slow_sandbox_url)
    await checked("run", "--detach", "--name", name, *options, image)
    await until_healthy(http, base, name)
    async with ResponseSink() as sink:
        statuses = await asyncio.gather(
            *(
                post_command(http, base, f"898340149000005 BNCH{i:022d}", sink.url(f"/r/{i}"))
                for i in range(20)
            )
        )
        assert statuses == [200] * 20
        stop = asyncio.create_task(checked("stop", "--time", "30", name, wait=40))
        # While it drains (each lookup takes 1.5 s), the probes tell an orchestrator to send
        # no more work and to leave the process be.
        draining: tuple[int | None, int | None] | None = None
        while not stop.done():
            ready = await get_status(http, base + "/readyz")
            if ready != 200:
                draining = (ready, await get_status(http, base + "/livez"))
                break
            await asyncio.sleep(0.02)
        await stop
        assert sink.count == 20
        paths = {(await sink.next(1)).path for _ in range(20)}
    assert paths == {f"/r/{i}" for i in range(20)}
    logs = await podman("logs", name)
    assert await exit_code(name) == 0, logs.err
    assert "Traceback" not in logs.out + logs.err
    # Last, so that probe endpoints not yet there leave every other finding above checked.
    assert draining == (503, 200)


async def test_serve_listens_soon_after_the_container_starts(
    image: str,
    containers: list[str],
    slack_api: FakeSlackApi,
    http: aiohttp.ClientSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The time from `podman run --detach` to the first 200 on /healthz is measured and printed
    (the goal is under 2 s: reported, not asserted)."""
    name = new_name(containers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    await checked("run", "--detach", "--name", name, *serve_options(slack_api, port), image)
    await until_healthy(http, base, name)
    listening = time.perf_counter() - started
    with capsys.disabled():  # a number to read in the run's output, not a pass or a fail
        print(f"\n{image}: listening {listening:.2f} s after `podman run --detach` (goal: < 2 s)")
    await checked("stop", "--time", "30", name, wait=40)


async def test_the_image_adds_at_most_100_mb_to_its_base(
    image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the image adds to the base it names (its org.opencontainers.image.base.name label)
    is at most 100 MB."""
    labels = (await inspect(image))["Config"].get("Labels") or {}
    base = labels.get("org.opencontainers.image.base.name")
    assert base, "the image names no base (label org.opencontainers.image.base.name)"
    size, base_size = (await inspect(image))["Size"], (await inspect(base))["Size"]
    added = size - base_size
    with capsys.disabled():
        print(f"\n{image}: {size / 1e6:.1f} MB, {added / 1e6:.1f} MB over {base}")
    assert added <= MAX_ADDED_BYTES
