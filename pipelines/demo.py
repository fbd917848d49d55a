"""The zero-setup demo: embedded PostgreSQL, a CVDW simulator, the real pipeline, then dbt.

    python -m pipelines.demo [--seed 1] [--size 2000]

The simulator runs on loopback with CVDW's limit of 20 requests per window, the window
compressed from 60 s to a few seconds so the demo takes seconds, not minutes. The pipeline is
the production one, configured only through the ``SOURCES__CVDW__*`` variables, exactly as a
deployment would be.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_EMAIL, DEMO_TOKEN = "demo@cvdw.local", "demo-token"
WINDOW_SECONDS = 6


def start_simulator(port: int, seed: int, size: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--seed", str(seed),
         "--size", str(size), "--window-seconds", str(WINDOW_SECONDS),
         "--email", DEMO_EMAIL, "--token", DEMO_TOKEN],
        cwd=PROJECT_DIR,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("error: the CVDW simulator did not start (see its output above)")
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("error: the CVDW simulator did not answer within 120 s")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the chain on simulated CVDW data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=2000, help="reservations in the world")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    simulator = start_simulator(args.port, args.seed, args.size)
    env = os.environ | {
        "SOURCES__CVDW__BASE_URL": f"http://127.0.0.1:{args.port}/api/v1/cvdw",
        "SOURCES__CVDW__EMAIL": DEMO_EMAIL,
        "SOURCES__CVDW__TOKEN": DEMO_TOKEN,
        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
    }
    try:
        loaded = subprocess.call([sys.executable, "pipelines/cvdw.py"], cwd=PROJECT_DIR, env=env)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    return loaded or build_marts()


def build_marts() -> int:
    """``dbt build`` on what was just loaded: staging views, marts and every test."""
    from pipelines import warehouse

    dbt = Path(sys.executable).parent / "dbt"
    env = os.environ | warehouse.environment()
    return subprocess.call(
        [str(dbt), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"],
        cwd=PROJECT_DIR, env=env,
    )


if __name__ == "__main__":
    sys.exit(main())
