"""Inbound: everything Slack. Depends on the gateway client, never the other way round."""
