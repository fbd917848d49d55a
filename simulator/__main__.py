"""Command line: serve a simulated CVDW account until Ctrl+C or SIGTERM.

Example::

    python -m simulator --port 8765 --seed 1 --size 2000 \\
        --window-seconds 60 --requests-per-window 20 \\
        --email demo@cvdw.local --token demo-token
"""
from __future__ import annotations

import argparse
import signal
import threading
import time
from datetime import datetime
from pathlib import Path

from pipelines import clock

from . import metas
from .profiles import PROFILES
from .server import Simulator
from .world import World


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m simulator", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=int, default=2000, help="number of reservations")
    ap.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help="behave like a particular kind of account (simulator/profiles.py)")
    ap.add_argument("--now", type=datetime.fromisoformat, default=None,
                    help="the world's present, YYYY-MM-DD[ HH:MM:SS] (default: the clock's now, "
                         "pipelines/clock.py)")
    ap.add_argument("--window-seconds", type=float, default=60.0)
    ap.add_argument("--requests-per-window", type=int, default=20)
    ap.add_argument("--block-seconds", type=float, default=None)
    ap.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    ap.add_argument("--page-cap", type=int, default=500)
    ap.add_argument("--email", default="demo@cvdw.local")
    ap.add_argument("--token", default="demo-token")
    ap.add_argument("--metas-dir", type=Path, default=None,
                    help="also write the account's sales targets to DIR/metas.csv (the metas seed)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    a = _args(argv)
    started = time.monotonic()
    world = World(seed=a.seed, size=a.size, now=a.now or clock.naive_now().replace(microsecond=0),
                  profile=a.profile)
    if a.metas_dir:  # before serving: whoever waits for the server finds the file written
        metas.write(world, a.metas_dir)
    sim = Simulator(world, email=a.email, token=a.token,
                    requests_per_window=a.requests_per_window,
                    window_seconds=a.window_seconds, block_seconds=a.block_seconds,
                    retry_after=a.retry_after, page_cap=a.page_cap, host=a.host, port=a.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sim.start()
    print(f"CVDW simulator serving {sim.base_url} (seed={a.seed}, size={a.size}, "
          f"profile={a.profile or 'none'}, "
          f"built in {time.monotonic() - started:.1f}s)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
