"""The lookup service: who may look up and how often, joining identical lookups, the audit trail.

Knows the gateway client, not Slack: the Slack surface asks it for an outcome
and renders that.
"""
