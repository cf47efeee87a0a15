"""A strict local stand-in for the Chinaums gateway: default target and contract-test peer."""
