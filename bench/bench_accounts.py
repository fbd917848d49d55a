"""Many-accounts benchmarks: prints figures, asserts nothing (about 5 minutes at the defaults, 7 with --dbt).

Every simulated account has the same compressed allowance (20 requests per 6 s by default, pages
of 100 rows: 333 rows/s, twice a real account's), and each is its own simulator with its own
world (same size and shape, seed + i).
The loader is the production command, ``python pipelines/cvdw.py`` without ``--account``: one
process per account (``load_each``), ``max_parallel_accounts`` at a time.

a. Three equal accounts in parallel against one alone: the wall-time ratio (target <= 1.15: each
   account is bound by its own allowance, not by the others) and every server's 429s (target 0).
b. (``--dbt``) ``dbt build`` time for 1, 2, 3 accounts, with the var ``cvdw_accounts`` (conta ->
   raw schema) that makes staging union the accounts' raw schemas. The worlds are larger
   (``--dbt-size``) and loaded unthrottled, so the build has rows to work on.
c. N = 1, 2, 4, 8 accounts at once (``max_parallel_accounts`` = N): each account's achieved rate,
   the window ÷ the mean time from a request to its ``limit``-th successor at the server (the
   limit keeps it >= the window: 1.00 is every window full). The worst account tells when the
   machine stops keeping every account at its full allowance. CPU: the loaders' (children), the
   simulators' (this process) and the whole machine's (/proc/stat, so PostgreSQL and anything
   else running are in it). Then one account unthrottled at real pages of 500 rows: the loader's
   CPU per row, hence how many real accounts (167 rows/s each) the cores could keep.

The simulators run on the same cores as the loaders and PostgreSQL, which real CVDW does not;
their share is printed. An account here asks for ``limit / window x page size`` rows a second,
a multiple of a real one's 20 x 500 per minute (167 rows/s), printed as "real accounts".

    python bench/bench_accounts.py [--size 300] [--counts 1,2,4,8] [--limit 20 --window 6]
                                   [--dbt] [--dbt-size 2000] [--dbt-counts 1,2,3]
                                   [--only parallel|dbt|capacity]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import psycopg2  # noqa: E402
from bench_load import PROJECT_DIR, scratch_database  # noqa: E402  (also drops PGHOST)

from pipelines import warehouse  # noqa: E402
from pipelines.cvdw_source.endpoints import select  # noqa: E402
from simulator.accounts import Accounts, SimulatedAccount, demo_accounts  # noqa: E402

DBT = Path(sys.executable).parent / "dbt"
NAMES = ["alfa", "beta", "gama", "delta", "epsilon", "zeta", "eta", "teta", "iota", "kapa"]
REAL_ROWS_PER_SECOND = 20 * 500 / 60  # CVDW: 20 requests a minute, 500 rows a page
NOW = datetime(2026, 11, 18, 10)  # every world's present, and dbt's as_of and clock


@dataclass
class Run:
    wall: float
    loaders_cpu: float  # the loader processes (children, with their own children)
    simulators_cpu: float  # this process: the simulators' threads
    machine_busy: float  # of all cores, 0..1, whatever ran
    requests: dict[str, list[float]]  # arrival times at each account's server
    status_429: dict[str, int]
    rows: int  # in the worlds' default paths: what the loaders loaded


def specs_for(count: int, size: int, limit: int, window: float, seed: int = 61) -> list[SimulatedAccount]:
    """``count`` equal accounts: demo_accounts gives each a profile in turn, which changes its
    row counts (one has no reservations), so the profile is reset to the default shape."""
    return [replace(s, profile=None)
            for s in demo_accounts(NAMES[:count], seed, size, requests_per_window=limit,
                                   window_seconds=window)]


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot, from /proc/stat's first line."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def load(specs: list[SimulatedAccount], database: str, page_size: int,
         parallel: int | None = None) -> Run:
    """Serve the accounts and run ``python pipelines/cvdw.py`` (every account) once against them."""
    with Accounts(specs, now=NOW) as served, tempfile.TemporaryDirectory(prefix="bench-dlt-") as work:
        # Only these accounts: drop any SOURCES__CVDW__* of the shell running the benchmark.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__CVDW__")} | {
            "PGDATABASE": database,
            "CVDW_PIPELINES_DIR": work,
            "SOURCES__CVDW__PERSONAL_DATA_KEY": "bench-personal-data-key",
            "SOURCES__CVDW__PAGE_SIZE": str(page_size),
            "SOURCES__CVDW__TIMEOUT_SECONDS": "10",
            "SOURCES__CVDW__MAX_RETRY_SECONDS": "120",
        } | served.env()
        if parallel:
            env["SOURCES__CVDW__MAX_PARALLEL_ACCOUNTS"] = str(parallel)
        before, (busy0, total0) = os.times(), machine_ticks()
        started = time.monotonic()
        done = subprocess.run([sys.executable, "pipelines/cvdw.py"], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True)
        wall = time.monotonic() - started
        after, (busy1, total1) = os.times(), machine_ticks()
        if done.returncode != 0:
            raise SystemExit(f"loader failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        return Run(
            wall=wall,
            loaders_cpu=(after.children_user + after.children_system)
            - (before.children_user + before.children_system),
            simulators_cpu=(after.user + after.system) - (before.user + before.system),
            machine_busy=(busy1 - busy0) / max(1, total1 - total0),
            requests={s.name: sorted(r.time for r in served[s.name].requests) for s in specs},
            status_429={s.name: sum(r.status == 429 for r in served[s.name].requests) for s in specs},
            rows=sum(len(served[s.name].world.rows(e.path)) for s in specs for e in select(None)),
        )


def achieved(times: list[float], limit: int, window: float) -> float:
    """The share of its allowance an account used while it was asking: the window ÷ the mean time
    from a request to its ``limit``-th successor, which the limit keeps >= the window. (Requests ÷
    span would read a bursty but full pacing low: its last burst is short.)"""
    spans = [times[i + limit] - times[i] for i in range(len(times) - limit)]
    return window / (sum(spans) / len(spans)) if spans else float("nan")


def cpu_line(run: Run) -> str:
    return (f"CPU: loaders {run.loaders_cpu:.1f} s, simulators {run.simulators_cpu:.1f} s, "
            f"machine busy {run.machine_busy:.0%} of {os.cpu_count()} cores")


def parallel_versus_alone(size: int, limit: int, window: float, page_size: int) -> None:
    specs = specs_for(3, size, limit, window)
    with scratch_database() as database:
        alone = load(specs[:1], database, page_size)
    with scratch_database() as database:
        three = load(specs, database, page_size)
    first = specs[0].name

    def span(run: Run) -> float:
        return run.requests[first][-1] - run.requests[first][0]

    pages = ", ".join(f"{n} {len(t)}" for n, t in three.requests.items())
    print(f"a. {first} alone: {len(alone.requests[first])} requests, wall {alone.wall:.1f} s "
          f"(API span {span(alone):.1f} s, rate {achieved(alone.requests[first], limit, window):.2f}); "
          f"{cpu_line(alone)}")
    print(f"   three in parallel (requests: {pages}): wall {three.wall:.1f} s; "
          f"ratio {three.wall / alone.wall:.3f} (target <= 1.15); {first}'s API span "
          f"{span(three):.1f} s, ratio {span(three) / span(alone):.3f}; {cpu_line(three)}")
    print(f"   429s: alone {alone.status_429}, in parallel {three.status_429} (target 0)")


def dbt_growth(size: int, counts: list[int], page_size: int) -> None:
    specs = specs_for(max(counts), size, 1_000_000, 1.0, seed=71)  # unthrottled: only the build matters
    with scratch_database() as database:
        run = load(specs, database, page_size)
        print(f"b. {len(specs)} accounts of {size} reservations loaded unthrottled in {run.wall:.1f} s")
        first = None
        for n in counts:
            seconds, nodes, accounts = dbt_build(database, specs[:n])
            first = first or seconds
            print(f"   {n} account(s): dbt build {seconds:.1f} s ({nodes} nodes), "
                  f"x{seconds / first:.2f} the 1-account time; marts.vendas rows by conta: {accounts}")


def dbt_build(database: str, specs: list[SimulatedAccount]) -> tuple[float, int, str]:
    """``dbt build`` of these accounts (staging unions their raw schemas: var ``cvdw_accounts``)."""
    variables = {"as_of": NOW.date().isoformat(), "cvdw_accounts": {s.name: f"raw_{s.name}" for s in specs}}
    env = os.environ | {"PGDATABASE": database, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                        "CVDW_NOW": NOW.isoformat()}
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as target:  # never the project's target/
        started = time.monotonic()
        done = subprocess.run(
            [str(DBT), "build", "--project-dir", "dbt_project", "--profiles-dir", "dbt_project",
             "--target-path", target, "--log-path", target, "--vars", json.dumps(variables)],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"dbt build failed on {database}:\n{done.stdout[-3000:]}")
        nodes = len(json.loads((Path(target) / "run_results.json").read_text())["results"])
    return seconds, nodes, _rows_by_conta(database)


def _rows_by_conta(database: str) -> str:
    """marts.vendas's rows per account, when the marts have the column ``conta`` (else the total)."""
    with psycopg2.connect(**warehouse.connection_params() | {"dbname": database}) as conn, \
            conn.cursor() as cur:
        cur.execute("select 1 from information_schema.columns where table_schema = 'marts' "
                    "and table_name = 'vendas' and column_name = 'conta'")
        if cur.fetchone():
            cur.execute("select conta, count(*) from marts.vendas group by 1 order by 1")
            return ", ".join(f"{conta} {n}" for conta, n in cur.fetchall())
        cur.execute("select count(*) from marts.vendas")
        return f"{cur.fetchone()[0]} (no column conta)"


def capacity(counts: list[int], size: int, limit: int, window: float, page_size: int) -> None:
    real = limit / window * page_size / REAL_ROWS_PER_SECOND
    print(f"c. accounts at once, each allowed {limit} requests per {window:g} s of {page_size} rows "
          f"(the rows/s of {real:.1f} real accounts)")
    kept = 0  # the most accounts that all kept (nearly) their full allowance
    for n in counts:
        with scratch_database() as database:
            run = load(specs_for(n, size, limit, window), database, page_size, parallel=n)
        rates = [achieved(times, limit, window) for times in run.requests.values()]
        requests = sum(len(t) for t in run.requests.values())
        if min(rates) >= 0.95:
            kept = max(kept, n)
        per_row = run.loaders_cpu / run.rows
        print(f"   N={n}: wall {run.wall:.1f} s, {requests} requests, rate worst {min(rates):.2f} "
              f"(each: {' '.join(f'{r:.2f}' for r in rates)}), 429s {sum(run.status_429.values())}; "
              f"{cpu_line(run)}; loaders {per_row * 1e6:,.0f} µs CPU per row")
    if kept:
        print(f"   every account at >= 0.95 of its allowance up to N={kept}, the rows/s of "
              f"~{kept * real:.0f} real accounts (the simulators share these cores; real CVDW would not)")
    else:
        print("   no N kept every account at >= 0.95 of its allowance (is something else busy?)")


def ceiling(size: int) -> None:
    """One account unthrottled, at real pages of 500 rows: the loader's CPU per row, and so the
    share of a core a real account takes at its full allowance (start-up included: pessimistic)."""
    with scratch_database() as database:
        run = load(specs_for(1, size, 1_000_000, 1.0, seed=81), database, 500)
    per_row = run.loaders_cpu / run.rows
    share = per_row * REAL_ROWS_PER_SECOND
    print(f"   one account unthrottled, pages of 500: {run.rows:,} rows in {run.wall:.1f} s "
          f"({run.rows / run.wall:,.0f} rows/s), {per_row * 1e6:,.0f} µs of loader CPU per row: a real "
          f"account at its full allowance ({REAL_ROWS_PER_SECOND:.0f} rows/s) takes {share:.0%} of a "
          f"core, so ~{os.cpu_count() / share:.0f} of them fill {os.cpu_count()} cores (loaders' CPU only)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["parallel", "dbt", "capacity"], help="run one part: a, b or c")
    parser.add_argument("--size", type=int, default=300, help="reservations per account in a")
    parser.add_argument("--capacity-size", type=int, default=120, help="reservations per account in c")
    parser.add_argument("--counts", default="1,2,4,8", help="accounts at once in c")
    parser.add_argument("--ceiling-size", type=int, default=600,
                        help="reservations of the account c loads unthrottled")
    parser.add_argument("--limit", type=int, default=20, help="requests per window, every account")
    parser.add_argument("--window", type=float, default=6.0, help="seconds of the rate-limit window")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--dbt", action="store_true", help="also b: dbt build time by accounts")
    parser.add_argument("--dbt-size", type=int, default=2000, help="reservations per account in b")
    parser.add_argument("--dbt-counts", default="1,2,3")
    args = parser.parse_args()
    warehouse.ensure_running()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    if args.only in (None, "parallel"):
        parallel_versus_alone(args.size, args.limit, args.window, args.page_size)
    if args.dbt or args.only == "dbt":
        dbt_growth(args.dbt_size, [int(n) for n in args.dbt_counts.split(",")], 500)
    if args.only in (None, "capacity"):
        capacity([int(n) for n in args.counts.split(",")], args.capacity_size, args.limit,
                 args.window, args.page_size)
        ceiling(args.ceiling_size)


if __name__ == "__main__":
    main()
