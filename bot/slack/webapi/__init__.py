"""The bot's calls out to Slack: replies to response_urls, direct messages, a reader's
language (users.info), and what a Web API error means. May use slack_sdk and aiohttp."""
