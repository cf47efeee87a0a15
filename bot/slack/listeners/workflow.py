"""The Workflow Builder step ``lookup_qr_code`` (a custom step: Slack's function_executed).

Bolt acks the run at once; then: read the inputs, look up (guarded, counted, audited as
``workflow``), and end the run with its outputs or one line saying why it failed. Both go
out with the token Slack sent with the run (Bolt's AttachingFunctionToken puts it on the
client complete() and fail() use), never the app's own.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import ENGLISH
from bot.logs import bind, bind_now
from bot.service.guard import Requester
from bot.service.lookup import look_up
from bot.service.services import Services
from bot.slack.cards.step_outputs import StepFailed, StepOutputs, one_line, step_result
from bot.slack.listeners.listening import group_members_fetcher
from bot.slack.reading.step_inputs import StepInputError, read_step
from bot.slack.webapi.errors import error_code
from bot.slack.webapi.replies import report_unexpected

STEP = "lookup_qr_code"
RUNS_REMEMBERED = 1000  # the last runs' ids: Slack retries one it thinks went unacked
log = logging.getLogger(__name__)


class SeenRuns:
    """The ids of the runs this process has taken, the newest RUNS_REMEMBERED: a run
    delivered twice (Slack's retry, a replay) is looked up and ended once."""

    def __init__(self, size: int = RUNS_REMEMBERED) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first_time(self, run_id: object) -> bool:
        if not isinstance(run_id, str) or run_id in self._seen:
            return False
        self._seen[run_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


def register(app: AsyncApp, services: Services) -> None:
    seen = SeenRuns()

    @app.function(STEP)  # acked by Bolt before this runs
    async def lookup_qr_code(
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        complete: AsyncComplete,
        fail: AsyncFail,
    ) -> None:
        if not seen.first_time(event.get("function_execution_id")):
            log.warning("workflow step run delivered again, not run twice")
            return
        inputs = event.get("inputs") or {}
        with bind():
            async with services.inflight.track():
                try:
                    ended = await run_step(services, inputs, context, client)
                except Exception as exc:  # noqa: BLE001  # the run must end, whatever happened
                    reference = await report_unexpected(exc, None, lambda: ENGLISH)
                    ended = StepFailed(
                        f"qrinfo met an unexpected error (reference {reference}); "
                        "its operator finds the details in its log."
                    )
                await _end(ended, complete, fail)


async def run_step(
    services: Services,
    inputs: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> StepOutputs | StepFailed:
    """One run: its outputs, or why it failed. A run proves its workspace (Slack signs it)
    but not who ran the workflow nor where: whoever builds a workflow chooses any input, so
    the guard sees no user and no channel. User, user-group and channel allow-lists
    therefore refuse every run, and the runs of a workspace share one rate bucket."""
    started = time.monotonic()
    who = Requester(context.team_id, context.enterprise_id, None, None)
    bind_now(team=who.team_id, user=who.user_id, action="workflow")
    try:
        ref = read_step(inputs)
    except StepInputError as exc:
        services.record(who, "workflow", None, outcome="invalid", msg_id=None, started=started)
        return StepFailed(one_line(f"The step's inputs cannot be read: {exc.problem}"))
    read_group = group_members_fetcher(client)
    outcome = await look_up(services, ref, who=who, action="workflow", read_group=read_group)
    bind_now(msgId=outcome.msg_id)
    return step_result(outcome, hint=services.access_hint)


async def _end(ended: StepOutputs | StepFailed, complete: AsyncComplete, fail: AsyncFail) -> None:
    """functions.completeSuccess or functions.completeError; Slack refusing it is logged."""
    try:
        if isinstance(ended, StepFailed):
            log.info("workflow step failed: %s", ended.error)
            await fail(error=ended.error)
        else:
            await complete(outputs=ended)
    except SlackApiError as exc:
        log.error("cannot end the workflow step's run: %s", error_code(exc))
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.error("cannot end the workflow step's run: %r", exc)
