"""The numbers on-call alerts on: Prometheus metrics, one registry per app.

Events (a lookup ended, a gateway call ended, a refusal, a reply Slack refused,
an ack) are counted as they happen, with label children resolved once. State
(work in flight, the breaker, the token, the audit trail) is read from the live
objects only when /metrics is scraped (bot.service.live_metrics), so keeping it
costs nothing per lookup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Literal, get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.process_collector import ProcessCollector

from bot.gateway.errors import CATALOGUE
from bot.service.live_metrics import Live, LiveCollector
from bot.service.recent import RecentLookups

# Lookups and gateway calls take 0.05-10 s (the gateway's deadline is at most 60 s).
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0)
# Slack gives an ack 3 s.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)

# An outcome as labelled: a gateway code (NO_BILL, ...) is "rejected", the code has its own.
OUTCOMES = (
    "found",
    "rejected",
    "refused",
    "busy",
    "paused",
    "unavailable",
    "misconfigured",
    "invalid",
    "unconfigured",
)
ACTIONS = ("command", "refresh", "share", "form", "details", "show_qr", "workflow")
SCRAPE_SECONDS = 1.0  # /metrics is drawn at most this often
# files.upload: files_upload_v2's three steps (getUploadURLExternal, the upload, complete).
ReplyVia = Literal[
    "response_url",
    "chat.postMessage",
    "chat.postEphemeral",
    "conversations.open",
    "files.upload",
    "chat.unfurl",
    "views.publish",
]
ReplyFailure = Literal["spent", "refused", "unreachable"]


def outcome_label(kind: str) -> str:
    """The lookup outcome's label: a gateway code becomes "rejected"."""
    return kind if kind in OUTCOMES else "rejected"


def code_label(code: str) -> str:
    """A gateway code as a label: the ones the provider documents, else "other" (bounded)."""
    return code if code in CATALOGUE else "other"


class Metrics:
    """One app's metrics and its recent-lookups window. Cheap to record: a dict lookup and a
    lock per event."""

    def __init__(self, *, version: str = "", clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = r = CollectorRegistry()
        self.version = version
        self.recent = RecentLookups(clock=clock)
        self._started = clock()
        self._clock = clock
        # Registered in this order, the order /metrics shows them in.
        self._lookups, self._lookup_seconds = _lookup_series(r)
        self._gateway_seconds_family, self._rejections = _gateway_call_families(r)
        self._gateway_seconds: dict[tuple[str, str], Histogram] = {}  # see gateways()
        self._refusals = _refusals(r)
        self._payments = _payments(r)
        self._replies_failed, self._ack = _slack_families(r)
        _build_info(r, version)
        ProcessCollector(registry=r)
        self._scraped: dict[str, tuple[float, bytes]] = {}  # content type -> (when, body)

    def gateways(self, envs: Iterable[str]) -> None:
        """The gateways calls go to (the wiring says, once): their series from the start."""
        for env in envs:
            for outcome in OUTCOMES:
                self._gateway_seconds[(env, outcome)] = self._gateway_seconds_family.labels(
                    env, outcome
                )

    @property
    def uptime(self) -> float:
        return self._clock() - self._started

    def lookup(self, action: str, kind: str, seconds: float) -> None:
        """One lookup ended as *kind* (Outcome.kind): counted once, timed, remembered."""
        outcome = outcome_label(kind)
        self._lookups[(action, outcome)].inc()
        self._lookup_seconds[outcome].observe(seconds)
        self.recent.lookup(kind)

    def gateway_call(self, kind: str, seconds: float, *, gateway: str) -> None:
        """One call to the *gateway* (its environment) ended as *kind*."""
        outcome = outcome_label(kind)
        child = self._gateway_seconds.get((gateway, outcome))
        if child is None:  # a gateway the wiring did not name (tests building their own)
            child = self._gateway_seconds[(gateway, outcome)] = self._gateway_seconds_family.labels(
                gateway, outcome
            )
        child.observe(seconds)
        if outcome == "rejected":
            self._rejections.labels(code_label(kind)).inc()
        if outcome not in ("busy", "paused"):  # those never reached the gateway
            self.recent.gateway_call(seconds)

    def payment(self, status: str, *, gateway: str) -> None:
        """One bills/query asked of the *gateway*: the bill's status (Payment.status)."""
        self._payments.labels(gateway, status).inc()

    def refused(self, reason: Literal["access", "rate"]) -> None:
        self._refusals.labels(reason).inc()

    def reply_failed(self, via: ReplyVia, reason: ReplyFailure) -> None:
        self._replies_failed.labels(via, reason).inc()

    def acked(self, seconds: float) -> None:
        self._ack.observe(seconds)

    def watch(self, read: Callable[[], Live]) -> None:
        """Report the state *read* gives at every scrape (the wiring calls it once)."""
        self.registry.register(LiveCollector(read))

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """GET /metrics: the body and its content type, in the format *accept* (the request's
        Accept header) asks for: Prometheus text by default, OpenMetrics when asked.

        Drawn at most once a second (a scrape costs a few ms of the event loop; the port
        may be reachable by anyone, and a flood of scrapes must not delay the acks).
        """
        try:
            encode, content_type = choose_encoder(accept)
        except (ValueError, TypeError):  # prometheus_client on "version=abc": the default serves
            encode, content_type = choose_encoder("")
        now = self._clock()
        drawn = self._scraped.get(content_type)
        if drawn is None or now - drawn[0] >= SCRAPE_SECONDS:
            drawn = self._scraped[content_type] = (now, encode(self.registry))
        return drawn[1], content_type


# Children resolved once: the hot path does no label lookups of its own. Series a failure
# counts exist from the start (at 0), so increase() and rate() see the first failure.


def _lookup_series(
    r: CollectorRegistry,
) -> tuple[dict[tuple[str, str], Counter], dict[str, Histogram]]:
    """Lookups by action and outcome, and their durations by outcome: every series."""
    lookups = Counter(
        "qrinfo_lookups",
        "Lookups asked for, by action and outcome.",
        ["action", "outcome"],
        registry=r,
    )
    lookup_seconds = Histogram(
        "qrinfo_lookup_duration_seconds",
        "A lookup from its ask to its answer, by outcome.",
        ["outcome"],
        buckets=DURATION_BUCKETS,
        registry=r,
    )
    return (
        {(a, o): lookups.labels(a, o) for a in ACTIONS for o in OUTCOMES},
        {o: lookup_seconds.labels(o) for o in OUTCOMES},
    )


def _gateway_call_families(r: CollectorRegistry) -> tuple[Histogram, Counter]:
    """Gateway calls' durations (their series once the gateways are known: see
    Metrics.gateways), and the business codes the gateway answered with."""
    gateway_seconds = Histogram(
        "qrinfo_gateway_call_duration_seconds",
        "One call to the gateway (token and retries included), by gateway and outcome.",
        ["gateway", "outcome"],
        buckets=DURATION_BUCKETS,
        registry=r,
    )
    rejections = Counter(
        "qrinfo_gateway_rejections",
        "Gateway answers with a business code, by code.",
        ["code"],
        registry=r,
    )
    return gateway_seconds, rejections


def _payments(r: CollectorRegistry) -> Counter:
    """Payment statuses asked for a found code's bill, by gateway and status."""
    return Counter(
        "qrinfo_payment_status",
        "bills/query asked for a found code's bill, by gateway and the status it gave "
        "(paid, unpaid, refunded, closed, unknown, no-bill, unavailable).",
        ["gateway", "status"],
        registry=r,
    )


def _refusals(r: CollectorRegistry) -> Counter:
    """Lookups the guard refused, by reason: both series from the start."""
    refusals = Counter(
        "qrinfo_refusals",
        "Lookups refused before the gateway: access or rate.",
        ["reason"],
        registry=r,
    )
    for reason in ("access", "rate"):
        refusals.labels(reason)
    return refusals


def _slack_families(r: CollectorRegistry) -> tuple[Counter, Histogram]:
    """Replies Slack did not take (every series from the start), and ack durations."""
    replies_failed = Counter(
        "qrinfo_slack_replies_failed",
        "Replies Slack did not take: a spent response_url, an error, no answer.",
        ["via", "reason"],
        registry=r,
    )
    for via in get_args(ReplyVia):
        for reason in get_args(ReplyFailure):
            replies_failed.labels(via, reason)
    ack = Histogram(
        "qrinfo_ack_duration_seconds",
        "From a request's arrival to its ack to Slack.",
        buckets=ACK_BUCKETS,
        registry=r,
    )
    return replies_failed, ack


def _build_info(r: CollectorRegistry, version: str) -> None:
    """The running version, as a label."""
    build = Gauge("qrinfo_build_info", "The running version.", ["version"], registry=r)
    build.labels(version or "unknown").set(1)
