"""The zero-setup demo: embedded PostgreSQL, a CVDW simulator, the real pipeline, dbt, then the
dashboard served on localhost until Ctrl+C.

    python -m pipelines.demo [--seed 1] [--size 2000] [--app-port 8501] [--no-serve]

The simulator runs on loopback with CVDW's limit of 20 requests per window, the window
compressed from 60 s to a few seconds so the demo takes seconds, not minutes. The pipeline is
the production one, configured only through the ``SOURCES__CVDW__*`` variables, exactly as a
deployment would be. The simulated account's present is the moment the demo starts, so the
dashboard's periods ("Últimos 12 meses") and freshness read as they would on a live account;
as each run simulates a new present, the demo reloads the world in full (``--full-refresh``).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import requests

from pipelines import clock

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEMO_EMAIL, DEMO_TOKEN = "demo@cvdw.local", "demo-token"
WINDOW_SECONDS = 6
# The simulated account's sales targets, written by the simulator: the demo's metas seed
# (dbt_project/metas/metas.csv, a real account's, stays as the analysts keep it).
DEMO_METAS = PROJECT_DIR / ".local" / "demo" / "metas"


def start_simulator(port: int, seed: int, size: int, now: datetime) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--port", str(port), "--seed", str(seed),
         "--size", str(size), "--now", now.isoformat(sep=" "), "--window-seconds", str(WINDOW_SECONDS),
         "--metas-dir", str(DEMO_METAS),
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
    parser.add_argument("--app-port", type=int, default=8501, help="dashboard port (a free one if taken)")
    parser.add_argument("--no-serve", action="store_true", help="stop after dbt build (tests, CI)")
    args = parser.parse_args()
    now = clock.naive_now().replace(second=0, microsecond=0)
    simulator = start_simulator(args.port, args.seed, args.size, now)
    env = os.environ | {
        "SOURCES__CVDW__BASE_URL": f"http://127.0.0.1:{args.port}/api/v1/cvdw",
        "SOURCES__CVDW__EMAIL": DEMO_EMAIL,
        "SOURCES__CVDW__TOKEN": DEMO_TOKEN,
        # The demo's clients are simulated; a real account keeps its own key in .dlt/secrets.toml.
        "SOURCES__CVDW__PERSONAL_DATA_KEY": "demo-personal-data-key-not-secret",
        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS),
    }
    try:
        loaded = subprocess.call([sys.executable, "pipelines/cvdw.py", "--full-refresh"],
                                 cwd=PROJECT_DIR, env=env)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    built = loaded or build_marts()
    if built or args.no_serve:
        return built
    return serve_dashboard(args.app_port)


def build_marts() -> int:
    """``dbt build`` on what was just loaded: staging views, marts and every test."""
    from pipelines import warehouse

    dbt = Path(sys.executable).parent / "dbt"
    # Relative to the dbt project: dbt writes a seed's compiled SQL to target/run/<its path>,
    # which for an absolute path is the seed file itself.
    metas = os.path.relpath(DEMO_METAS, PROJECT_DIR / "dbt_project")
    env = os.environ | warehouse.environment() | {"CVDW_METAS_DIR": metas}
    return subprocess.call(
        [str(dbt), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project"],
        cwd=PROJECT_DIR, env=env,
    )


def _free(port: int) -> int:
    """``port`` when nothing listens on it, else one the system picks."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_dashboard(port: int) -> int:
    """``streamlit run streamlit_app.py`` on loopback until Ctrl+C. The data is already loaded
    and built, so stopping the server leaves nothing half done (the warehouse keeps running)."""
    port = _free(port)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
    )
    print(f"\nDashboard: http://127.0.0.1:{port}  (Ctrl+C stops it)", flush=True)
    try:
        return server.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to streamlit too; let it finish
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.terminate()
            server.wait(timeout=10)
        print("Dashboard stopped.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
