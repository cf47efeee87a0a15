"""Which gateway a lookup goes to: the default one, or the one for the environment it names."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from bot.gateway.client import QrCodeClient
from bot.gateway.config import Environment


@dataclass(frozen=True, slots=True)
class MissingGateway:
    """A lookup named an environment this bot has no gateway for."""

    env: Environment
    settings: tuple[str, ...]  # the variables that would configure one (none: only the default)


class Gateways:
    """The bot's gateways by environment: the default one first, then any beside it.

    The built-in sandbox, as the default gateway, answers for an environment with no gateway
    of its own (it simulates both); any other default leaves such a lookup unanswered, since a
    test code asked of production (or the reverse) would come back as a puzzling NO_BILL.
    """

    def __init__(
        self,
        default: Environment,
        clients: Mapping[Environment, QrCodeClient],
        *,
        settings_for: Callable[[Environment], tuple[str, ...]],
    ) -> None:
        if default not in clients:
            raise ValueError(f"no client for the default gateway ({default})")
        self.default: Environment = default
        self._clients = {default: clients[default]} | dict(clients)
        self._settings_for = settings_for

    def __repr__(self) -> str:
        return f"Gateways(default={self.default!r}, envs={list(self._clients)!r})"

    def __iter__(self) -> Iterator[tuple[Environment, QrCodeClient]]:
        """Each gateway with its environment, the default first."""
        return iter(self._clients.items())

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def default_client(self) -> QrCodeClient:
        return self._clients[self.default]

    def route(self, env: Environment | None) -> Environment | MissingGateway:
        """The environment whose gateway answers a lookup naming *env* (None: the default)."""
        if env is None or env in self._clients:
            return env or self.default
        if self.default == "sandbox":
            return "sandbox"
        return MissingGateway(env, self._settings_for(env))

    def client(self, env: Environment) -> QrCodeClient:
        """The gateway for a routed *env*."""
        return self._clients[env]
