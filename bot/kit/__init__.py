"""The local kit: Slack's side played locally (signed requests, a response_url that records),
and the demo. Used by `qrinfo demo`, the tests and the benchmark; never by the bot itself."""
