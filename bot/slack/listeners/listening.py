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
from bot.i18n import Translator
from bot.logs import bind, bind_now
from bot.service.audit import Action
from bot.service.batch_limit import TooManyLookups, check_batch_size
from bot.service.guard import GroupMembers, Requester
from bot.service.lookup import Outcome, distinct_lookups, look_up, look_up_many
from bot.service.services import Services
from bot.slack.cards.batch import batch_card
from bot.slack.cards.blocks import Card
from bot.slack.cards.notices import input_error_card
from bot.slack.cards.ops import operators_only_card
from bot.slack.cards.outcome import outcome_card
from bot.slack.reading.batch import too_many_codes
from bot.slack.reading.pasted import BatchRequest
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
    respond: AsyncRespond | None,
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
async def work(
    services: Services, respond: AsyncRespond | None, reader: Reader
) -> AsyncIterator[None]:
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
    fresh = refreshed or shared_by is not None
    outcome = await look_up(
        services, ref, who=who, action=action, read_group=read_group, fresh=fresh
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
        operator=await _raw_reply_shown(services, who, outcome, read_group, channel=channel),
    )
    return outcome, card


async def _raw_reply_shown(
    services: Services,
    who: Requester,
    outcome: Outcome,
    read_group: GroupMembers,
    *,
    channel: Translator | None,
) -> bool:
    """Does the card get a Raw reply button? An operator's own card only: never one for the
    whole channel, nor one without a gateway's answer."""
    return (
        channel is None
        and outcome.answer is not None
        and await services.guard.is_operator(who, read_group)
    )


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
    id and its URL), else one compact card for them all (no one msgId); a list more than
    one card takes once routed: the input error, nothing looked up."""
    if isinstance(request, BatchRequest):
        try:
            distinct = routed_batch(services, request)
        except TooManyLookups as exc:
            return None, await _too_many_card(services, exc.count, who, action, reader)
        if len(distinct) > 1:
            card = await _batch_card(
                services, request, distinct, who=who, action=action, client=client, reader=reader
            )
            return None, card
        request = distinct[0]
    outcome, card = await lookup_card(
        services, request, who=who, action=action, client=client, reader=reader, shareable=shareable
    )
    return outcome.msg_id, card


def routed_batch(services: Services, batch: BatchRequest) -> list[QrCodeRef]:
    """*batch*'s distinct lookups once routed (an id from both environments is two);
    TooManyLookups (check_batch_size) when they are more than one card takes."""
    distinct = distinct_lookups(services, batch.refs)
    check_batch_size(len(distinct))
    return distinct


async def _too_many_card(
    services: Services, count: int, who: Requester, action: Action, reader: Reader
) -> Card:
    """A list too long once routed (the same id from both environments, counted once before):
    said, and recorded as invalid input."""
    bind_now(team=who.team_id, user=who.user_id, action=action)
    services.record(who, action, None, outcome="invalid", msg_id=None, started=time.monotonic())
    return input_error_card(too_many_codes(count), services.env, await reader.translator())


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
    # Checked against the limit already (routed_batch): look_up_many's own bound holds.
    outcomes = await look_up_many(
        services, distinct, who=who, action=action, read_group=group_members_fetcher(client)
    )
    return batch_card(
        outcomes,
        await reader.translator(),
        now=services.wall_clock(),
        # Repeats the parser could not see (an id and its URL, both on the default gateway).
        duplicates=batch.duplicates + len(batch.refs) - len(outcomes),
        hint=services.access_hint,
    )
