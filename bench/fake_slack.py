"""A stand-in for Slack's Web API, in its own process: auth.test and users.info.

Run by bench/run.py beside the app, so that answering the app's calls costs
neither the app nor the driver that measures it (Slack is another machine).
``GET /stats`` says how many users.info calls it answered. Half the users
(those whose id ends in an even digit) are ``zh-CN``, the others ``en-US``.
"""

from __future__ import annotations

import argparse

from aiohttp import web

CALLS = {"users.info": 0}


async def auth_test(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "ok": True,
            "team_id": "T0BENCH",
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
            "team": "bench",
            "user": "qrinfo",
            "url": "https://bench.slack.com/",
        }
    )


async def users_info(request: web.Request) -> web.Response:
    form = request.query if request.method == "GET" else await request.post()  # slack_sdk: GET
    user_id = str(form.get("user", ""))
    CALLS["users.info"] += 1
    locale = "zh-CN" if user_id[-1:] in "02468" else "en-US"
    return web.json_response({"ok": True, "user": {"id": user_id, "locale": locale}})


async def stats(request: web.Request) -> web.Response:
    return web.json_response(CALLS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    app = web.Application()
    app.router.add_post("/api/auth.test", auth_test)
    app.router.add_route("*", "/api/users.info", users_info)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
