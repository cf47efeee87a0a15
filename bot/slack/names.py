"""Names both rooms use, reading and cards: an environment as a sentence names it."""

from __future__ import annotations

from bot.gateway.config import Environment
from bot.i18n import N_, Text

# An environment named in a sentence ("not connected to {env}").
ENV_NAMES: dict[Environment, Text] = {
    "sandbox": Text(N_("the sandbox")),
    "test": Text(N_("the test environment")),
    "prod": Text(N_("production")),
}
