"""How Slack reaches the bot: HTTP (the front door, the server) and Socket Mode, and the
start (auth.test). May use Bolt and aiohttp; hands every request to the app it is given."""
