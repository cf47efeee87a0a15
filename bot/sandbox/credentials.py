"""The sandbox's built-in developer: not a secret, it opens nothing real."""

SANDBOX_APP_ID = "qrinfo-sandbox-app-0000000000000"
SANDBOX_APP_KEY = "qrinfo-sandbox-key-0000000000000"
