"""Load benchmarks: prints figures, asserts nothing. Run with `make bench` (about 10 minutes).

1. Paced full load under a compressed limit (20 requests per 6 s by default): wall time ÷ the
   floor set by the limit (pages ÷ allowed rate), and the number of 429s (target: ratio <= 1.05,
   no 429). The window is compressed 10×, not 30×: at 20 per 2 s the limit asks for 5,000 rows/s,
   more than the simulator can render (a 500-row page takes ~130 ms), so that figure measured the
   simulator, not the pacing.
2. An incremental run with nothing changed: requests ÷ paths (target 1.0).
3. A large unthrottled load (--size reservations, 200,000 by default, plus related paths):
   rows per second and the loader's peak memory at two sizes, beside a plain COPY of the same
   reservation rows into PostgreSQL. The largest world's database is kept as
   ``bench_world_<size>`` (its load time in the database comment) for ``bench_dbt.py`` and
   ``bench_app.py``.

    python bench/bench_load.py [--only paced|large] [--paced-size 10000] [--size 200000]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.pop("PGHOST", None)

import psycopg2  # noqa: E402

from pipelines import warehouse  # noqa: E402
from simulator import PATHS, Simulator, World  # noqa: E402
from simulator.timefmt import from_ts  # noqa: E402

EMAIL, TOKEN = "bench@cvdw.local", "bench-token"


def admin(*statements: str) -> None:
    """Run statements on the server's ``postgres`` database (create/drop/comment databases)."""
    params = warehouse.connection_params() | {"dbname": "postgres"}
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    conn.close()


@contextmanager
def scratch_database(keep: str | None = None) -> Iterator[str]:
    """A new empty database, dropped afterwards; or, when it was filled without error and
    ``keep`` names it, renamed to ``keep`` (replacing an earlier one only then)."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin(f"create database {name}")
    try:
        yield name
    except BaseException:
        admin(f"drop database if exists {name} with (force)")
        raise
    if keep:
        admin(f"drop database if exists {keep} with (force)",
              f"alter database {name} rename to {keep}")
    else:
        admin(f"drop database if exists {name} with (force)")


def run_loader(sim: Simulator, database: str, rpm: int, window: float, *args: str) -> tuple[float, int]:
    """Run the loader as its own process; return wall seconds and its peak RSS in MiB.

    Prints the loader's own line of where the time went (waiting for CVDW, for the limit).
    """
    env = os.environ | {
        "PGDATABASE": database,
        "CVDW_PIPELINES_DIR": tempfile.mkdtemp(prefix="bench-dlt-"),
        "SOURCES__CVDW__BASE_URL": sim.base_url,
        "SOURCES__CVDW__EMAIL": EMAIL,
        "SOURCES__CVDW__TOKEN": TOKEN,
        "SOURCES__CVDW__PERSONAL_DATA_KEY": "bench-personal-data-key",
        "SOURCES__CVDW__REQUESTS_PER_MINUTE": str(rpm),
        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": str(window),
    }
    # The peak is the process's own high-water mark (VmHWM). Not ru_maxrss: Linux carries the
    # spawning process's peak across exec into it, so it reported this benchmark's simulated
    # world (which grows with the size) as the loader's memory.
    code = (
        "import runpy, sys; sys.argv = ['pipelines/cvdw.py'] + sys.argv[1:]\n"
        "try:\n    runpy.run_path('pipelines/cvdw.py', run_name='__main__')\n"
        "finally:\n    status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "    print('PEAK_RSS_KB', status.split()[0], file=sys.stderr)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"loader failed: {done.stderr[-2000:]}")
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    print("   loader:", next(line for line in done.stdout.splitlines() if " requests in " in line))
    return seconds, peak // 1024


def paced_load(size: int, window: float) -> None:
    world = World(seed=3, size=size)
    limit = 20
    with Simulator(world, email=EMAIL, token=TOKEN, requests_per_window=limit,
                   window_seconds=window) as sim, scratch_database() as database:
        seconds, _ = run_loader(sim, database, limit, window)
        pages = len(sim.requests)
        status_429 = sum(1 for r in sim.requests if r.status == 429)
        floor = pages / (limit / window)
        print(f"1. paced full load, world size {size}: {pages} requests in {seconds:.1f} s; "
              f"floor {floor:.1f} s at {limit} per {window:.0f} s; ratio {seconds / floor:.3f}; "
              f"429s: {status_429}")
        sim.reset_log()
        run_loader(sim, database, limit, window)
        print(f"2. incremental run, nothing changed: {len(sim.requests)} requests for "
              f"{len(PATHS)} paths = {len(sim.requests) / len(PATHS):.2f} per path")


def copy_baseline(world: World) -> tuple[int, float]:
    """A plain COPY of the reservation rows (flat text columns) into a scratch table."""
    rows = world.rows("reservas")
    columns = sorted({k for r in rows for k, v in r.items() if not isinstance(v, list)})
    started = time.monotonic()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for r in rows:
        writer.writerow([json.dumps(r[c]) if isinstance(r.get(c), dict) else r.get(c) for c in columns])
    buffer.seek(0)
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("drop table if exists public.copy_baseline")
        cur.execute("create table public.copy_baseline ("
                    + ", ".join(f'"{c}" text' for c in columns) + ")")
        cur.copy_expert("copy public.copy_baseline from stdin with (format csv)", buffer)
        cur.execute("drop table public.copy_baseline")
    return len(rows), time.monotonic() - started


def large_load(size: int) -> None:
    for n in (size // 4, size):
        started = time.monotonic()
        world = World(seed=5, size=n)
        built = time.monotonic() - started
        total_rows = sum(len(world.rows(p)) for p in PATHS)
        keep = f"bench_world_{n}" if n == size else None
        with Simulator(world, email=EMAIL, token=TOKEN, requests_per_window=1_000_000,
                       window_seconds=1) as sim, scratch_database(keep) as database:
            seconds, peak = run_loader(sim, database, 1_000_000, 1)
        if keep:
            facts = {"reservations": n, "rows": total_rows, "load_seconds": round(seconds, 1),
                     "as_of": str(from_ts(world.now).date())}
            admin(f"comment on database {keep} is '{json.dumps(facts)}'")
            print(f"   kept as database {keep} for bench_dbt.py and bench_app.py")
        print(f"3. unthrottled load, {n:,} reservations, {total_rows:,} rows in {len(PATHS)} paths "
              f"(world built in {built:.0f} s): {seconds:.1f} s, {total_rows / seconds:,.0f} rows/s, "
              f"loader peak memory {peak} MiB")
        copied, copy_seconds = copy_baseline(world)
        print(f"   plain COPY of the {copied:,} reservation rows: {copy_seconds:.1f} s, "
              f"{copied / copy_seconds:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["paced", "large"])
    parser.add_argument("--paced-size", type=int, default=10_000)
    parser.add_argument("--paced-window", type=float, default=6.0, help="seconds per 20 requests")
    parser.add_argument("--size", type=int, default=200_000)
    args = parser.parse_args()
    warehouse.ensure_running()
    if args.only != "large":
        paced_load(args.paced_size, args.paced_window)
    if args.only != "paced":
        large_load(args.size)
    print(f"bench process peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
