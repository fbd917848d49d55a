"""CVDW API simulator: a deterministic CVCRM world served over HTTP.

The real CVDW cannot be reached from our machines, so the pipeline is built
and tested against this; it follows /work/shared/cvdw-api.md, quirks included.
"""
from .funnel import FunnelRates
from .profiles import PROFILES, Profile
from .world import PATHS, World

__all__ = ["World", "Simulator", "PATHS", "PROFILES", "Profile", "FunnelRates"]


def __getattr__(name: str):
    """Import the server lazily so ``World`` users do not pay for it."""
    if name == "Simulator":
        from .server import Simulator
        return Simulator
    raise AttributeError(name)
