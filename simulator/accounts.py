"""Several simulated CVCRM accounts served at once, as a consultancy or a holding has them: each
its own world (seed, size, profile), credentials, address (a port, as each real account is its
own subdomain) and rate limit.

``Accounts.env()`` gives the ``SOURCES__CVDW__ACCOUNTS__<CONTA>__*`` variables that point the
loader at them (``pipelines/accounts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .server import Simulator
from .world import World

# The accounts differ as real ones do: the default shape first, then the profiles in turn.
DEMO_PROFILES = (None, "legada", "personalizada", "enxuta", "ruidosa", "sem_reservas")


@dataclass(frozen=True)
class SimulatedAccount:
    name: str
    seed: int
    size: int
    profile: str | None = None
    requests_per_window: int = 20
    window_seconds: float = 60.0
    options: dict[str, Any] = field(default_factory=dict)  # more Simulator arguments

    @property
    def email(self) -> str:
        return f"{self.name}@cvdw.local"

    @property
    def token(self) -> str:
        return f"{self.name}-token"


def demo_accounts(names: list[str], seed: int, size: int, **limits: Any) -> list[SimulatedAccount]:
    """One account per name, each a world of its own (seed + i) and a profile in turn."""
    return [SimulatedAccount(name, seed + i, size, DEMO_PROFILES[i % len(DEMO_PROFILES)], **limits)
            for i, name in enumerate(names)]


class Accounts:
    """``with Accounts(specs) as served:`` one simulator per account; ``served[name]`` is its
    ``Simulator`` (with its ``world`` and request log)."""

    def __init__(self, specs: list[SimulatedAccount], now: datetime | None = None,
                 host: str = "127.0.0.1", first_port: int = 0) -> None:
        self.specs = specs
        worlds = {s.name: World(seed=s.seed, size=s.size, profile=s.profile, **({"now": now} if now else {}))
                  for s in specs}
        self.servers = {
            s.name: Simulator(worlds[s.name], email=s.email, token=s.token,
                              requests_per_window=s.requests_per_window, window_seconds=s.window_seconds,
                              host=host, port=first_port + i if first_port else 0, **s.options)
            for i, s in enumerate(specs)}

    def __getitem__(self, name: str) -> Simulator:
        return self.servers[name]

    def __enter__(self) -> Accounts:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> Accounts:
        for server in self.servers.values():
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def env(self) -> dict[str, str]:
        """The loader's configuration for these accounts, as environment variables."""
        out = {}
        for s in self.specs:
            prefix = f"SOURCES__CVDW__ACCOUNTS__{s.name.upper()}__"
            out |= {prefix + "BASE_URL": self.servers[s.name].base_url, prefix + "EMAIL": s.email,
                    prefix + "TOKEN": s.token,
                    prefix + "REQUESTS_PER_MINUTE": str(s.requests_per_window),
                    prefix + "RATE_LIMIT_WINDOW_SECONDS": str(s.window_seconds)}
        return out
