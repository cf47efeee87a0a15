"""The floor: a bare AsyncApp that only acks /qrinfo, served like the real one.

Run by bench/run.py as its own process; its figures are what Bolt and aiohttp
cost on this machine before qrinfo does anything.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck


def build() -> web.Application:
    result = AuthorizeResult(enterprise_id=None, team_id="T0", bot_token="xoxb-floor")  # noqa: S106

    async def authorize() -> AuthorizeResult:
        return result

    app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], authorize=authorize)

    @app.command("/qrinfo")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    return web_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(build(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
