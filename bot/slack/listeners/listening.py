"""What every listener shares: who asks, the work after the ack, a lookup shown as a card."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.gateway.ids import QrCodeRef
from bot.i18n import T, Text, Translator
from bot.logs import bind, bind_now
from bot.service.audit import Action
from bot.service.guard import GroupMembers, Requester
from bot.service.lookup import (
    MAX_BATCH,
    Outcome,
    Services,
    TooManyLookups,
    distinct_lookups,
    look_up,
    look_up_many,
)
from bot.slack.cards.batch import batch_card
from bot.slack.cards.blocks import Card
from bot.slack.cards.notices import input_error_card
from bot.slack.cards.ops import operators_only_card
from bot.slack.cards.outcome import outcome_card
from bot.slack.reading.form import FormErrors
from bot.slack.reading.pasted import QR_CODE_ID, BatchRequest
from bot.slack.webapi.errors import error_code
from bot.slack.webapi.language import Reader, Readers
from bot.slack.webapi.replies import send_card, unexpected_errors_reported

log = logging.getLogger(__name__)
# The longest a lookup waits for Slack to list a user group's members (an allow-list or the
# operators naming groups): the lookup's own budget is bounded, so a stop can drain it.
GROUP_READ_SECONDS = 5.0


def requester(context: AsyncBoltContext) -> Requester:
    """Who is asking, and where: from the verified request's context."""
    return Requester(context.team_id, context.enterprise_id, context.user_id, context.channel_id)


def group_members_fetcher(client: AsyncWebClient) -> GroupMembers:
    """A user group's members from ``usergroups.users.list``; None when Slack will not say
    within GROUP_READ_SECONDS (nobody gets in through that group: access fails closed)."""

    async def read(group: str) -> frozenset[str] | None:
        try:
            async with asyncio.timeout(GROUP_READ_SECONDS):
                response = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            log.error("cannot read user group %s: %s", group, error_code(exc))
            return None
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.error("cannot read user group %s: %r", group, exc)
            return None
        return frozenset(str(u) for u in response.get("users") or [])

    return read


async def operator_or_refused(
    services: Services,
    who: Requester,
    client: AsyncWebClient,
    respond: AsyncRespond,
    tr: Translator,
    *,
    what: str,
) -> bool:
    """True for one of the bot's operators; anyone else gets the refusal (and a log line)."""
    if await services.guard.is_operator(who, group_members_fetcher(client)):
        return True
    log.info("refused %s to %s: not an operator", what, who.user_id)
    await send_card(respond, operators_only_card(tr), replace_original=False)
    return False


@asynccontextmanager
async def after_ack(  # a listener's own arguments, as Bolt injects them
    ack: AsyncAck,
    services: Services,
    readers: Readers,
    respond: AsyncRespond,
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> AsyncIterator[Reader]:
    """Every listener's start: the ack first, before any I/O (Slack waits 3 s); then the
    reader, whose language is asked beside the work; then the work itself (:func:`work`)."""
    await ack()
    reader = readers.reader(client, context.user_id)
    async with work(services, respond, reader):
        yield reader


@asynccontextmanager
async def work(services: Services, respond: AsyncRespond, reader: Reader) -> AsyncIterator[None]:
    """A listener's work after its ack: tracked for shutdown, unexpected errors reported
    (in the reader's language if already known), its log lines carrying the lookup's fields
    from when they are known (:func:`lookup_card` adds them)."""
    with bind():
        async with (
            services.inflight.track(),
            unexpected_errors_reported(respond, reader.translator_now),
        ):
            yield


async def lookup_card(  # one lookup's every circumstance
    services: Services,
    ref: QrCodeRef,
    *,
    who: Requester,
    action: Action,
    client: AsyncWebClient,
    reader: Reader,
    channel: Translator | None = None,
    shared_by: str | None = None,
    refreshed: bool = False,
    shareable: bool = True,
) -> tuple[Outcome, Card]:
    """Look *ref* up (fresh for Refresh and Share) and draw the card for what happened.

    The card is in the reader's language, or in *channel*'s when it is for the whole
    channel; a refusal is always the reader's, since only they see it. An operator's own
    card has a Raw reply button.
    """
    read_group = group_members_fetcher(client)
    bind_now(team=who.team_id, user=who.user_id, action=action)
    outcome = await look_up(
        services,
        ref,
        who=who,
        action=action,
        read_group=read_group,
        fresh=refreshed or shared_by is not None,
    )
    bind_now(msgId=outcome.msg_id)
    tr = channel if channel is not None and outcome.refusal is None else await reader.translator()
    card = outcome_card(
        outcome,
        tr=tr,
        now=services.wall_clock(),
        hint=services.access_hint,
        shared_by=shared_by,
        refreshed=refreshed,
        shareable=shareable,
        # Only on a card only its reader sees: never on one for the whole channel.
        operator=channel is None
        and outcome.answer is not None
        and await services.guard.is_operator(who, read_group),
    )
    return outcome, card


async def request_card(
    services: Services,
    request: QrCodeRef | BatchRequest,
    *,
    who: Requester,
    action: Action,
    client: AsyncWebClient,
    reader: Reader,
    shareable: bool = True,
) -> tuple[str | None, Card]:
    """A command's or the form's lookups as one card, in the reader's language, with the
    msgId it shows: the usual card for one lookup (also several that are one after all, an
    id and its URL), else one compact card for them all (no one msgId)."""
    distinct = distinct_lookups(services, request.refs) if isinstance(request, BatchRequest) else []
    if isinstance(request, QrCodeRef) or len(distinct) == 1:
        outcome, card = await lookup_card(
            services,
            request if isinstance(request, QrCodeRef) else distinct[0],
            who=who,
            action=action,
            client=client,
            reader=reader,
            shareable=shareable,
        )
        return outcome.msg_id, card
    card = await _batch_card(
        services, request, distinct, who=who, action=action, client=client, reader=reader
    )
    return None, card


async def _batch_card(
    services: Services,
    batch: BatchRequest,
    distinct: list[QrCodeRef],
    *,
    who: Requester,
    action: Action,
    client: AsyncWebClient,
    reader: Reader,
) -> Card:
    bind_now(team=who.team_id, user=who.user_id, action=action)
    started = time.monotonic()
    try:
        outcomes = await look_up_many(
            services, distinct, who=who, action=action, read_group=group_members_fetcher(client)
        )
    except TooManyLookups as exc:  # the same id from both environments, counted once before
        services.record(who, action, None, outcome="invalid", msg_id=None, started=started)
        problem = _too_many(exc.count)
        return input_error_card(problem, services.env, await reader.translator())
    return batch_card(
        outcomes,
        await reader.translator(),
        now=services.wall_clock(),
        # Repeats the parser could not see (an id and its URL, both on the default gateway).
        duplicates=batch.duplicates + len(batch.refs) - len(outcomes),
        hint=services.access_hint,
    )


def _too_many(count: int) -> Text:
    return T("That is {count} QR codes; look up at most {most} at once.", count=count,
             most=MAX_BATCH)  # fmt: skip


def too_many(services: Services, batch: BatchRequest) -> None:
    """FormErrors when *batch* is more lookups than one card takes, once routed (an id from
    both environments is two)."""
    count = len(distinct_lookups(services, batch.refs))
    if count > MAX_BATCH:
        raise FormErrors({QR_CODE_ID: _too_many(count)})
