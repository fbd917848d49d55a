"""Command line: serve a simulated CVDW account until Ctrl+C or SIGTERM.

Example::

    python -m simulator --port 8765 --seed 1 --size 2000 \\
        --window-seconds 60 --requests-per-window 20 \\
        --email demo@cvdw.local --token demo-token

Several accounts at once (ports 8765, 8766, ...; each its own world, profile, credentials and
limit), with the loader's configuration printed::

    python -m simulator --accounts alfa,beta,gama --size 500
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
from .accounts import Accounts, demo_accounts
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
    ap.add_argument("--accounts", default=None,
                    help="serve several accounts, comma-separated names (simulator/accounts.py)")
    ap.add_argument("--metas-dir", type=Path, default=None,
                    help="also write the account's sales targets to DIR/metas.csv (the metas seed)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    a = _args(argv)
    started = time.monotonic()
    now = a.now or clock.naive_now().replace(microsecond=0)
    if a.accounts:
        served = serve_accounts(a, now)
    else:
        world = World(seed=a.seed, size=a.size, now=now, profile=a.profile)
        if a.metas_dir:  # before serving: whoever waits for the server finds the file written
            metas.write(world, a.metas_dir)
        served = Simulator(world, email=a.email, token=a.token,
                           requests_per_window=a.requests_per_window,
                           window_seconds=a.window_seconds, block_seconds=a.block_seconds,
                           retry_after=a.retry_after, page_cap=a.page_cap, host=a.host, port=a.port)
        served.start()
        print(f"CVDW simulator serving {served.base_url} (seed={a.seed}, size={a.size}, "
              f"profile={a.profile or 'none'}, "
              f"built in {time.monotonic() - started:.1f}s)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    finally:
        served.stop()


def serve_accounts(a: argparse.Namespace, now: datetime) -> Accounts:
    names = [n.strip() for n in a.accounts.split(",") if n.strip()]
    specs = demo_accounts(names, a.seed, a.size, requests_per_window=a.requests_per_window,
                          window_seconds=a.window_seconds,
                          options={"block_seconds": a.block_seconds, "retry_after": a.retry_after,
                                   "page_cap": a.page_cap})
    served = Accounts(specs, now=now, host=a.host, first_port=a.port).start()
    for spec in specs:
        print(f"account {spec.name}: {served[spec.name].base_url} (seed={spec.seed}, size={spec.size}, "
              f"profile={spec.profile or 'none'})")
    print("\nthe loader's configuration (.dlt/secrets.toml):")
    for spec in specs:
        print(f'[sources.cvdw.accounts.{spec.name}]\nbase_url = "{served[spec.name].base_url}"\n'
              f'email = "{spec.email}"\ntoken = "{spec.token}"\n'
              f"requests_per_minute = {spec.requests_per_window}  # per the window below, as served\n"
              f"rate_limit_window_seconds = {spec.window_seconds:g}")
    print(flush=True)
    return served


if __name__ == "__main__":
    main()
