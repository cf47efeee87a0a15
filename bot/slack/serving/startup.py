"""Starting to serve: the bot token checked once with auth.test, and what stops a start."""

from __future__ import annotations

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.webapi.errors import (
    WEB_API_TIMEOUT_SECONDS,
    refused_by_slack,
    unreachable,
)


class StartupError(Exception):
    """`serve` cannot start for a reason outside its settings (Slack down, port taken): one line."""


class TokenRefused(StartupError):
    """Slack answered and refused a token: a setting to fix, named in the message."""


async def authorize_at_start(
    bot_token: str, *, api_url: str, answer_within: int = WEB_API_TIMEOUT_SECONDS
) -> AuthorizeResult:
    """Check SLACK_BOT_TOKEN once with ``auth.test``; the result then serves every request.

    A refused token is TokenRefused naming the variable; no usable answer
    within *answer_within* seconds is StartupError saying what happened.
    """
    url = api_url
    client = AsyncWebClient(token=bot_token, base_url=url, timeout=answer_within)
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        code = refused_by_slack(exc)
        if code is None:
            raise StartupError(unreachable(exc, url + "auth.test")) from None
        raise TokenRefused(f"SLACK_BOT_TOKEN: Slack refused it ({code})") from None
    except (aiohttp.ClientError, OSError) as exc:  # OSError includes TimeoutError
        raise StartupError(unreachable(exc, url + "auth.test", timeout=answer_within)) from None
    return AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=bot_token)
