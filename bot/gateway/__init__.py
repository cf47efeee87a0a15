"""Outbound: the Chinaums open platform. Knows nothing of Slack."""
