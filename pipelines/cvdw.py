"""Load CVDW into the Postgres schema ``raw``: every supported path, incrementally.

    python pipelines/cvdw.py [--account alfa] [--endpoints reservas,comissoes] [--full-refresh]
                             [--start-date 2024-01-01] [--dry-run] [--pages-per-load 20]
                             [--declare-only] [--log-format text|json]

Configuration: ``[sources.cvdw]`` (subdomain or base_url, email, token, requests_per_minute) in
``.dlt/config.toml`` / ``.dlt/secrets.toml`` or ``SOURCES__CVDW__*`` variables; the warehouse
from the libpq ``PG*`` variables, or the embedded PostgreSQL when ``PGHOST`` is unset.
Many accounts (``[sources.cvdw.accounts.<conta>]``, ``pipelines/accounts.py``): each loads into
``raw_<conta>``; ``--account`` loads one, and without it every account loads, each in a process
of its own, ``max_parallel_accounts`` (4) at a time.
Safe to schedule: it finishes what a killed run left pending, commits every few pages, and
exits 0 only when every asked path loaded (1 when one failed, 2 on a configuration error).
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # run as a script: make `pipelines` importable
    sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DLT_PROJECT_DIR", str(PROJECT_DIR))  # find .dlt/ from any folder
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import dlt  # noqa: E402

from pipelines import accounts, warehouse  # noqa: E402
from pipelines.accounts import Account  # noqa: E402
from pipelines.cvdw_source import (  # noqa: E402
    PathProgress,
    Prefetcher,
    catalogue,  # noqa: E402
    configure_schema,
    cvdw_source,
    declared_columns,
    duration,
)
from pipelines.cvdw_source.client import (  # noqa: E402
    ClientStats,
    CVDWClient,
    CVDWError,
    CVDWUnavailable,
    FatalCVDWError,
    Settings,
)
from pipelines.cvdw_source.endpoints import (  # noqa: E402
    ALL_ENDPOINTS,
    DEFAULT_PATHS,
    Endpoint,
    select,
)
from pipelines.cvdw_source.personal import Privacy  # noqa: E402
from pipelines.ops import lock, logs  # noqa: E402

logger = logging.getLogger("cvdw")

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class ConfigurationError(RuntimeError):
    """Missing or invalid configuration; the message says how to fix it."""


@dataclass
class LoadResult:
    """What a load did, for the run history and alerts (``pipelines/ops``)."""

    exit_code: int
    failure: str | None = None  # 'config' (settings, credentials, address), 'unavailable', 'load'
    error: str | None = None  # the first error line, without secrets
    rows: dict[str, int] = field(default_factory=dict)  # rows loaded this run, by raw table
    requests: int = 0
    rate_limit_wait_seconds: float = 0.0
    accounts: dict[str, str | None] = field(default_factory=dict)  # many: each one's error, or None


@dataclass
class Options:
    endpoints: list[Endpoint]
    full_refresh: bool = False
    start_date: str | None = None
    dry_run: bool = False
    pages_per_load: int = 20
    list_endpoints: bool = False
    declare_only: bool = False
    account: str | None = None
    result_file: str | None = None


def read_settings(account: Account) -> Settings:
    """The account's section as dlt resolves it: toml files or ``SOURCES__CVDW__*`` variables."""
    value = account.value
    base_url = value("base_url")
    subdomain = value("subdomain")
    email, token = value("email", secret=True), value("token", secret=True)
    if not (base_url or subdomain) or not email or not token:
        variables = account.section.upper().replace(".", "__")
        raise ConfigurationError(
            f"CVDW is not configured: set subdomain (or base_url), email and token under "
            f"[{account.section}] in .dlt/secrets.toml (see .dlt/example.secrets.toml) or as "
            f"{variables}__* variables; to try it on simulated data instead, run `make demo`"
        )
    settings = Settings(
        base_url=base_url or f"https://{subdomain}.cvcrm.com.br/api/v1/cvdw",
        email=str(email),
        token=str(token),
        section=account.section,
    )
    for key in ("requests_per_minute", "rate_limit_window_seconds", "page_size",
                "timeout_seconds", "max_retry_seconds", "backoff_seconds", "date_format"):
        if (configured := value(key)) is not None:
            kind = type(getattr(settings, key))
            setattr(settings, key, kind(configured))
    return settings


def read_privacy(account: Account) -> Privacy:
    """``personal_data`` (hash, drop or keep) and its ``personal_data_key`` under ``[sources.cvdw]``
    (or the account's section)."""
    mode = str(account.value("personal_data") or "hash").strip().lower()
    key = account.value("personal_data_key", secret=True)
    try:
        return Privacy(mode, str(key) if key else None)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None


def make_pipeline(account: Account) -> dlt.Pipeline:
    """The account's pipeline, with local working files kept apart for each warehouse.

    dlt restores state from the destination, but a local working folder shared by two
    warehouses would carry one's cursors into the other: hence one folder per address.
    """
    params = warehouse.connection_params()
    base = Path(os.environ.get("CVDW_PIPELINES_DIR", PROJECT_DIR / ".dlt" / ".var"))
    pipelines_dir = base / f"{params['host']}_{params['port']}_{params['dbname']}"
    return dlt.pipeline(
        pipeline_name=account.pipeline_name,
        pipelines_dir=str(pipelines_dir),
        destination=dlt.destinations.postgres(credentials=warehouse.connection_url()),
        dataset_name=account.dataset,
    )


def run(options: Options, settings: Settings, privacy: Privacy,
        account: Account) -> tuple[dict[str, PathProgress], ClientStats]:
    """Load the asked paths, ``pages_per_load`` pages per committed load, until all are done.

    Pages are fetched in a thread while dlt loads the batch before (see ``Prefetcher``).
    """
    pipeline = make_pipeline(account)
    if options.full_refresh:  # before a pending package, which may hold a refresh's drops too
        drop_views_reading(options.endpoints, account.dataset)
    if pipeline.has_pending_data:
        logger.info("finishing the load left pending by an earlier run")
        pipeline.run()  # normalizes and loads pending packages, extracts nothing
    states = {} if options.full_refresh else committed_states(pipeline)
    client = CVDWClient(settings)
    progress: dict[str, PathProgress] = {}
    refresh = "drop_resources" if options.full_refresh else None
    declare = options.endpoints if refresh else undeclared(pipeline, options.endpoints, privacy)
    first = True
    try:
        with Prefetcher(client, options.endpoints, states, progress, options.start_date,
                        ahead=options.pages_per_load) as prefetcher:
            while (batch := prefetcher.batch(options.pages_per_load)) or (first and declare):
                # The first load names the paths whose table or declared columns the warehouse
                # lacks, so each exists even when CVDW has no rows for it (a full refresh names
                # all of them, so all are dropped). An idle run loads nothing.
                source = cvdw_source(batch, declare if first else None, privacy)
                configure_schema(source.schema)
                pipeline.run(source, loader_file_format="csv", refresh=refresh if first else None)
                first = False
    finally:
        client.close()
    return progress, client.stats


def declare_tables(endpoints: list[Endpoint], privacy: Privacy, account: Account) -> list[Endpoint]:
    """Create the declared raw tables (and columns) the warehouse lacks, without asking CVDW.

    dbt's staging reads raw columns by name, so ``cvdw-ops run --stages build`` calls this
    before ``dbt build``: on an empty warehouse the marts then build, empty, instead of failing.
    Cursors are untouched: no resource replays a page.
    """
    pipeline = make_pipeline(account)
    pipeline.sync_destination()
    missing = undeclared(pipeline, endpoints, privacy)
    if missing:
        source = cvdw_source([], missing, privacy)
        configure_schema(source.schema)
        pipeline.run(source, loader_file_format="csv")
        logger.info("declared %d raw tables: %s", len(missing), ", ".join(e.table for e in missing))
    return missing


def undeclared(pipeline: dlt.Pipeline, endpoints: list[Endpoint], privacy: Privacy) -> list[Endpoint]:
    """The paths whose raw table, or one of its declared columns, the warehouse lacks."""
    schema = pipeline.schemas.get(pipeline.default_schema_name) if pipeline.default_schema_name else None
    tables = schema.tables if schema else {}
    return [e for e in endpoints
            if not set(declared_columns(e, privacy)) <= set(tables.get(e.table, {}).get("columns", {}))]


def drop_views_reading(endpoints: list[Endpoint], dataset: str) -> None:
    """Drop the views that read the raw tables a full refresh is about to drop.

    dbt's staging models are views over ``raw``, and Postgres refuses to drop a table a view
    reads, so a second ``--full-refresh`` (every ``make demo``) failed once dbt had built. The
    views hold no data and the next ``dbt build`` re-creates them.
    """
    import psycopg2

    tables = [e.table for e in endpoints]
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("""
            select distinct v.oid::regclass::text
            from pg_depend d
            join pg_rewrite r on r.oid = d.objid
            join pg_class v on v.oid = r.ev_class
            join pg_class t on t.oid = d.refobjid and t.oid <> v.oid
            join pg_namespace n on n.oid = t.relnamespace
            where n.nspname = %s
              and (t.relname = any(%s) or split_part(t.relname, '__', 1) = any(%s))""",
                    (dataset, tables, tables))
        views = [name for (name,) in cur.fetchall()]
        for view in views:
            cur.execute(f"drop view if exists {view} cascade")
    if views:
        logger.info("dropped %d views reading the refreshed tables (dbt build re-creates them): %s",
                    len(views), ", ".join(sorted(views)))


def committed_states(pipeline: dlt.Pipeline) -> dict[str, dict]:
    """Each path's resource state (cursor, ``seen``) as committed in the warehouse, by table."""
    pipeline.sync_destination()
    return copy.deepcopy(pipeline.state.get("sources", {}).get("cvdw", {}).get("resources", {}))


def dry_run(options: Options, settings: Settings, account: Account) -> None:
    """Show what each path would request, and how many rows wait there, without loading."""
    resources = committed_states(make_pipeline(account))
    client = CVDWClient(settings)
    waiting = 0
    for endpoint in options.endpoints:
        cursor = None if options.full_refresh else resources.get(endpoint.table, {}).get("cursor")
        cursor = options.start_date or cursor
        params = client.params(1, cursor, None)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        page = client.get_page(endpoint.path, 1, since=cursor, page_size=1)
        pages = -(-page.total_rows // settings.page_size)
        waiting += page.total_rows
        print(f"{endpoint.path}: GET {client.url(endpoint.path)}?{query} -> "
              f"{page.total_rows:,} rows from {cursor or 'the beginning'}, about {pages} pages")
    pace = settings.rows_per_second
    print(f"all paths: {waiting:,} rows waiting, about {duration(waiting / pace)} at the API's "
          f"pace ({pace * 60:,.0f} rows/min)")


def summary(progress: dict[str, PathProgress], stats: ClientStats, seconds: float, dataset: str) -> str:
    counts = _row_counts(dataset)
    lines = [f"{'path':<30} {'table':<30} {'requests':>8} {'loaded':>8} {'rows in raw':>12}"]
    for path, p in progress.items():
        table = path.replace("/", "_")
        status = f"  FAILED: {p.error}" if p.error else ""
        lines.append(f"{path:<30} {table:<30} {p.requests:>8} {p.rows:>8,} "
                     f"{counts.get(table, 0):>12,}{status}")
    lines.append(f"{stats.requests} requests in {seconds:.1f} s: {stats.http_seconds:.1f} s waiting for "
                 f"CVDW, {stats.rate_limit_wait_seconds:.1f} s on the rate limit, "
                 f"{stats.rate_limited} answered 429, {stats.retries} retried")
    lines.append(f"loaded into {warehouse.describe()}, schema {dataset}")
    return "\n".join(lines)


def _row_counts(dataset: str) -> dict[str, int]:
    import psycopg2

    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select table_name from information_schema.tables where table_schema = %s",
                    (dataset,))
        tables = [name for (name,) in cur.fetchall() if not name.startswith("_dlt")]
        counts = {}
        for table in tables:
            cur.execute(f'select count(*) from {dataset}."{table}"')
            counts[table] = cur.fetchone()[0]
        return counts


def parse_args(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--account", help="load this one of the configured accounts "
                        "([sources.cvdw.accounts.<conta>]; default: every account)")
    parser.add_argument("--endpoints", help="comma-separated CVDW paths (default: those the marts "
                        "read; --list-endpoints shows every one)")
    parser.add_argument("--full-refresh", action="store_true",
                        help="drop the asked paths' raw tables and cursors, then load them again")
    parser.add_argument("--start-date", help="load rows changed since this date (YYYY-MM-DD)")
    parser.add_argument("--list-endpoints", action="store_true",
                        help="list every CVDW path that can be loaded, and which load by default")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would be requested and how many rows wait; load nothing")
    parser.add_argument("--declare-only", action="store_true",
                        help="create the declared raw tables the warehouse lacks, empty; ask "
                             "nothing of CVDW (no CVDW credentials needed)")
    parser.add_argument("--pages-per-load", type=int, default=20,
                        help="pages per committed load; a crash costs at most about twice this "
                             "(the batch loading and the pages fetched ahead)")
    parser.add_argument("--log-format", choices=logs.FORMATS, default=None,
                        help="text for people (default), json for one object per line "
                             "(or set CVDW_LOG_FORMAT)")
    # Where an account's process writes its LoadResult for the run that started it (load_each).
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.log_format:
        logs.configure(args.log_format)
    try:
        endpoints = select(args.endpoints)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    start_date = _check_date(args.start_date) if args.start_date else None
    return Options(endpoints, args.full_refresh, start_date, args.dry_run,
                   max(1, args.pages_per_load), args.list_endpoints, args.declare_only, args.account,
                   args.result_file)


def endpoint_list() -> str:
    """Every loadable path with its raw table and columns; the default ones marked."""
    lines = [f"{'path':<40} {'raw table':<40} {'columns':>7}  default"]
    for e in ALL_ENDPOINTS:
        columns = len(catalogue.paths().get(e.path, {}).get("columns", {}))
        lines.append(f"{e.path:<40} {e.table:<40} {columns:>7}  {'yes' if e.path in DEFAULT_PATHS else ''}")
    lines.append(f"{len(ALL_ENDPOINTS)} paths, {len(DEFAULT_PATHS)} by default; load others with "
                 "--endpoints (e.g. --endpoints precadastros,leads/visitas)")
    return "\n".join(lines)


def _check_date(text: str) -> str:
    from datetime import datetime

    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    raise ConfigurationError(f"--start-date '{text}' is not a date: use YYYY-MM-DD")


def main(argv: list[str] | None = None) -> int:
    logs.configure()
    return load(sys.argv[1:] if argv is None else argv).exit_code


def load(argv: list[str]) -> LoadResult:
    """Everything ``main`` does, returning what happened instead of only an exit code."""
    try:
        options = parse_args(argv)
        if options.list_endpoints:
            print(endpoint_list())
            return LoadResult(EXIT_OK)
        chosen = [accounts.named(options.account)] if options.account else accounts.configured()
    except (ConfigurationError, accounts.AccountError) as error:
        return _failed(EXIT_CONFIG, "config", str(error))
    if len(chosen) > 1:
        return load_each(argv, chosen)
    with logs.account_tag(chosen[0].name) if chosen[0].many else nullcontext():
        result = load_account(options, chosen[0])
    if options.result_file:
        Path(options.result_file).write_text(json.dumps(asdict(result)))
    return result


def load_each(argv: list[str], chosen: list[Account]) -> LoadResult:
    """Every account in a process of its own (this script with ``--account``),
    ``max_parallel_accounts`` at a time: one failing, or held back by the API, never stops or
    slows the others (each has its own allowance, pipeline, state and lock)."""
    parallel = max(1, int(dlt.config.get("sources.cvdw.max_parallel_accounts") or 4))

    with tempfile.TemporaryDirectory(prefix="cvdw-accounts-") as folder:
        def load_one(account: Account) -> LoadResult:
            path = Path(folder) / f"{account.name}.json"
            code = subprocess.run([sys.executable, str(Path(__file__).resolve()), *argv,
                                   "--account", account.name, "--result-file", str(path)],
                                  cwd=PROJECT_DIR).returncode
            try:  # what it did; a process killed before its end says only its exit code
                return LoadResult(**json.loads(path.read_text()))
            except (OSError, ValueError):
                return LoadResult(code or EXIT_FAILED, "load", f"exit {code}")

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            results = dict(zip(chosen, pool.map(load_one, chosen), strict=True))
    codes = {a: r.exit_code for a, r in results.items()}
    failed = [a for a, code in codes.items() if code]
    lines = [f"account {a.name}: " + (f"FAILED (exit {code}, see its lines above)" if code else "loaded")
             + f" into schema {a.dataset}" for a, code in codes.items()]
    logs.say(logger, "\n".join(lines), error=bool(failed), accounts={a.name: c for a, c in codes.items()})
    rows = {f"{a.name}.{table}": n for a, r in results.items() for table, n in r.rows.items()}
    total = LoadResult(max(codes.values()), rows=rows,
                       requests=sum(r.requests for r in results.values()),
                       rate_limit_wait_seconds=sum(r.rate_limit_wait_seconds for r in results.values()),
                       accounts={a.name: r.error if r.exit_code else None for a, r in results.items()})
    if failed:  # the failures' kind when they all share it (the alert says what to mend)
        kinds = {results[a].failure for a in failed}
        total.failure = kinds.pop() if len(kinds) == 1 else "load"
        by_error: dict[str | None, list[str]] = {}  # one shared cause said once
        for a in failed:
            by_error.setdefault(results[a].error, []).append(a.name)
        total.error = "accounts that failed: " + "; ".join(f"{', '.join(names)} ({error})"
                                                          for error, names in by_error.items())
    return total


def load_account(options: Options, account: Account) -> LoadResult:
    """Load one account: the whole run of a single-account setup."""
    started = time.monotonic()
    try:
        settings = None if options.declare_only else read_settings(account)
        privacy = read_privacy(account)
        warehouse.ensure_running()
        warehouse.wait_until_reachable()
        if options.dry_run:
            dry_run(options, settings, account)
            return LoadResult(EXIT_OK)
        with account_lock(account):
            if options.declare_only:
                declare_tables(options.endpoints, privacy, account)
                return LoadResult(EXIT_OK)
            progress, stats = run(options, settings, privacy, account)
    except ConfigurationError as error:
        return _failed(EXIT_CONFIG, "config", str(error))
    except FatalCVDWError as error:  # refused credentials, a wrong route or a host that never answers
        return _failed(EXIT_CONFIG, "config", str(error))
    except warehouse.WarehouseError as error:
        return _failed(EXIT_FAILED, "config", str(error))
    except lock.AlreadyRunning as error:
        if options.declare_only:  # that load declares the tables itself: nothing to do here
            logger.info("declaring skipped: a load of account %s is running", account.name)
            return LoadResult(EXIT_OK)
        return _failed(EXIT_FAILED, "load", str(error))
    except CVDWError as error:
        failure = "unavailable" if isinstance(error, CVDWUnavailable) else "load"
        return _failed(EXIT_FAILED, failure, str(error))
    except Exception as error:  # dlt wraps what failed inside the run: show that, on one line
        return _failed(EXIT_FAILED, "load", _root_cause(error))
    rows = {path.replace("/", "_"): p.rows for path, p in progress.items()}
    logs.say(logger, summary(progress, stats, time.monotonic() - started, account.dataset), rows=rows,
             requests=stats.requests, rate_limit_wait_seconds=round(stats.rate_limit_wait_seconds, 1))
    failed = [p for p in progress.values() if p.error]
    for p in failed:
        logs.say(logger, f"error: {p.path}: {p.error}", error=True)
    result = LoadResult(EXIT_FAILED if failed else EXIT_OK, rows=rows, requests=stats.requests,
                        rate_limit_wait_seconds=stats.rate_limit_wait_seconds)
    if failed:
        # An outage on every failed path is the API being down; anything else is a load failure.
        result.failure = "unavailable" if all(p.unavailable for p in failed) else "load"
        result.error = f"{failed[0].path}: {failed[0].error}"
    return result


@contextmanager
def account_lock(account: Account) -> Iterator[None]:
    """One load of an account at a time, whatever machine or scheduler starts it (a Postgres
    advisory lock, released however the process ends: ``pipelines/ops/lock.py``)."""
    conn = lock.connect()
    try:
        busy = (f"another load of account {account.name} is running on this warehouse; let it "
                "finish (or stop it) and run again")
        with lock.RunLock(conn, f"cvdw-elt:load:{account.pipeline_name}", busy):
            yield
    finally:
        conn.close()


def _failed(code: int, failure: str, error: str) -> LoadResult:
    logs.say(logger, f"error: {error}", error=True)
    return LoadResult(code, failure, error)


def _root_cause(error: BaseException) -> str:
    """The innermost error of a dlt step failure, as one line without secrets."""
    while error.__cause__ is not None or error.__context__ is not None:
        if isinstance(error, CVDWError):
            break
        error = error.__cause__ or error.__context__
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    password = warehouse.connection_params()["password"]
    return text.replace(password, "***") if password else text


if __name__ == "__main__":
    sys.exit(main())
