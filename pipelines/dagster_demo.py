"""The Dagster UI on the demo's simulated accounts (``make dagster``), until Ctrl+C.

    python -m pipelines.dagster_demo [--accounts alfa,beta,gama] [--size 500] [--port 3000]

Starts the embedded PostgreSQL, the simulator serving one CVDW account per name (``python -m
simulator --accounts``, its limit's window compressed as in ``make demo``), points the loader at
them with the configuration the simulator prints (as ``SOURCES__CVDW__ACCOUNTS__<CONTA>__*``
variables, as a deployment would) and runs ``dagster dev -m pipelines.orchestration`` with
``DAGSTER_HOME=dagster_home``. Each account is a partition of the raw assets: materialize them
from the UI, or turn on the schedule.

The simulated accounts' present is the moment this starts, so every session loads into a
database of its own, ``cvdw_dagster_demo``, created empty (with empty dlt working folders): a
load from an earlier session's cursors would mix two worlds. The demo's ``cvdw`` is untouched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

from pipelines import clock, warehouse
from pipelines.demo import WINDOW_SECONDS, _free

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASE = "cvdw_dagster_demo"
WORK_DIR = PROJECT_DIR / ".local" / "dagster-demo"
CONFIG_HEADER = "the loader's configuration"  # the line before the toml simulator/__main__ prints


def fresh_database() -> None:
    import psycopg2

    conn = psycopg2.connect(**warehouse.connection_params() | {"dbname": "postgres"})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"drop database if exists {DATABASE} with (force)")
        cur.execute(f"create database {DATABASE}")
    conn.close()
    shutil.rmtree(WORK_DIR, ignore_errors=True)


def start_simulator(names: str, size: int, port: int) -> tuple[subprocess.Popen, dict[str, str]]:
    """The simulator, and the loader's variables read from the toml it prints once it serves."""
    now = clock.naive_now().replace(second=0, microsecond=0)
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--accounts", names, "--size", str(size),
         "--port", str(port), "--now", now.isoformat(sep=" "),
         "--window-seconds", str(WINDOW_SECONDS)],
        cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    lines, in_config = [], False
    for line in process.stdout:
        print(line, end="", flush=True)
        if in_config and not line.strip():
            break
        if in_config:
            lines.append(line)
        in_config = in_config or line.startswith(CONFIG_HEADER)
    else:
        raise SystemExit("error: the CVDW simulator stopped before serving (see its output above)")
    # Keep echoing whatever else it prints, so that a full pipe never blocks it.
    threading.Thread(target=lambda: [print(x, end="") for x in process.stdout], daemon=True).start()
    accounts = tomllib.loads("".join(lines))["sources"]["cvdw"]["accounts"]
    env = {f"SOURCES__CVDW__ACCOUNTS__{name.upper()}__{key.upper()}": str(value)
           for name, section in accounts.items() for key, value in section.items()}
    return process, env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", default="alfa,beta,gama")
    parser.add_argument("--size", type=int, default=500, help="reservations in each account's world")
    parser.add_argument("--simulator-port", type=int, default=8765, help="the first account's port")
    parser.add_argument("--port", type=int, default=3000, help="the UI's port (a free one if taken)")
    args = parser.parse_args(argv)
    processes: list[subprocess.Popen] = []

    def stop(*_) -> None:
        """SIGTERM (systemd, `kill`) stops it as Ctrl+C does, which the terminal sends to the
        children too: here this process passes it on (dagster dev takes SIGTERM as Ctrl+C)."""
        for process in processes:
            if process.poll() is None:
                process.terminate()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    # Started in the background by a shell, this process and its children inherit SIGINT ignored,
    # and dagster dev then ignores SIGTERM too (it maps SIGTERM to SIGINT's handler): a handler
    # here gives every child the default again, so Ctrl+C and SIGTERM always stop them.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupted = False
    os.environ.pop("PGHOST", None)  # the embedded warehouse, never a configured one: it is dropped
    warehouse.ensure_running()
    fresh_database()
    try:
        simulator, accounts = start_simulator(args.accounts, args.size, args.simulator_port)
        processes.append(simulator)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__CVDW__")} | accounts | {
            "PGDATABASE": DATABASE,
            "CVDW_PIPELINES_DIR": str(WORK_DIR / "dlt"),
            # Shared by every account ([sources.cvdw]): the demo's hash key.
            "SOURCES__CVDW__PERSONAL_DATA_KEY": "demo-personal-data-key-not-secret",
            "DAGSTER_HOME": str(PROJECT_DIR / "dagster_home"),
        }
        port = _free(args.port)
        print(f"\nDagster UI: http://127.0.0.1:{port}  (accounts {args.accounts}, loading into the "
              f"database {DATABASE}; Ctrl+C stops it)", flush=True)
        processes.insert(0, subprocess.Popen(
            [sys.executable, "-m", "dagster", "dev", "-m", "pipelines.orchestration",
             "--host", "127.0.0.1", "--port", str(port)], cwd=PROJECT_DIR, env=env))
        return processes[0].wait()
    except KeyboardInterrupt:  # every child was told too: let each stop its own services
        interrupted = True
        return 0
    finally:
        for process in processes:  # dagster dev first: its runs may still be asking the simulator
            if not interrupted and process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=60)  # dagster dev waits up to 60 s for each of its services
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
