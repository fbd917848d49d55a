"""dbt benchmark: prints figures, asserts nothing.

The time of ``dbt build`` (every model and test) on a small world and on a large one, beside
the time of the load itself, and the nodes that dominate, read from dbt's ``run_results.json``.

    python bench/bench_dbt.py [--small 2000] [--large bench_world_200000]

The small world is loaded here, unthrottled. The large one is the database that
``bench_load.py --only large`` kept (its size and load time are in the database comment), so the
200,000-reservation load is not paid twice.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import psycopg2  # noqa: E402
from bench_load import EMAIL, PROJECT_DIR, TOKEN, run_loader, scratch_database  # noqa: E402

from pipelines import warehouse  # noqa: E402
from simulator import PATHS, Simulator, World  # noqa: E402
from simulator.timefmt import from_ts  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"


def load_small(size: int, database: str) -> dict:
    world = World(seed=5, size=size)
    with Simulator(world, email=EMAIL, token=TOKEN, requests_per_window=1_000_000,
                   window_seconds=1) as sim:
        seconds, _ = run_loader(sim, database, 1_000_000, 1)
    rows = sum(len(world.rows(p)) for p in PATHS)
    return {"reservations": size, "rows": rows, "load_seconds": round(seconds, 1),
            "as_of": str(from_ts(world.now).date())}


def kept_database(name: str) -> dict:
    """The facts bench_load.py wrote in the comment of the database it kept."""
    with psycopg2.connect(**warehouse.connection_params() | {"dbname": "postgres"}) as conn:
        with conn.cursor() as cur:
            cur.execute("select shobj_description(oid, 'pg_database') from pg_database "
                        "where datname = %s", (name,))
            found = cur.fetchone()
    if not found or not found[0]:
        raise SystemExit(f"no database {name} with load facts: run bench/bench_load.py --only large")
    return json.loads(found[0])


def dbt_build(database: str, as_of: str) -> tuple[float, list[dict]]:
    target = tempfile.mkdtemp(prefix="bench-dbt-")
    env = os.environ | {"PGDATABASE": database, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.monotonic()
    done = subprocess.run(
        [str(DBT), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
         "--target-path", target, "--log-path", target, "--vars", json.dumps({"as_of": as_of})],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"dbt build failed on {database}:\n{done.stdout[-3000:]}")
    results = json.loads((Path(target) / "run_results.json").read_text())["results"]
    return seconds, results


def report(label: str, facts: dict, seconds: float, results: list[dict]) -> None:
    by_type: dict[str, list[float]] = defaultdict(list)
    for r in results:
        by_type[r["unique_id"].split(".")[0]].append(r["execution_time"])
    kinds = ", ".join(f"{len(v)} {k}s {sum(v):.1f} s" for k, v in sorted(by_type.items()))
    print(f"{label}: {facts['reservations']:,} reservations, {facts['rows']:,} raw rows: "
          f"load {facts['load_seconds']:.1f} s, dbt build {seconds:.1f} s "
          f"({kinds}; node times add up beyond wall time with 4 threads)")
    slowest = sorted(results, key=lambda r: r["execution_time"], reverse=True)[:6]
    for r in slowest:
        print(f"     {r['execution_time']:7.2f} s  {r['unique_id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=2000, help="reservations in the small world")
    parser.add_argument("--large", default="bench_world_200000",
                        help="database kept by bench_load.py --only large ('' to skip)")
    args = parser.parse_args()
    warehouse.ensure_running()
    with scratch_database() as database:
        facts = load_small(args.small, database)
        report("small world", facts, *dbt_build(database, facts["as_of"]))
    if args.large:
        facts = kept_database(args.large)
        report("large world", facts, *dbt_build(args.large, facts["as_of"]))


if __name__ == "__main__":
    main()
