"""Run history in the warehouse: one row per run in ``ops.runs``.

The dashboard's Dados page and ``cvdw-ops status`` read it. Rows are written on the lock's own
connection, by the run holding the lock, so a row still 'running' while nobody holds the lock
is a run that died: the next run closes it as failed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from psycopg2.extensions import connection as Connection

from pipelines import clock

DDL = """
create schema if not exists ops;
create table if not exists ops.runs (
    run_id                  bigserial primary key,
    started_at              timestamptz not null,
    finished_at             timestamptz,
    status                  text not null check (status in ('running', 'success', 'failed')),
    exit_code               integer,
    failed_stage            text check (failed_stage in ('config', 'load', 'dbt', 'freshness')),
    rows_loaded             jsonb not null default '{}',
    requests                integer,
    rate_limit_wait_seconds numeric,
    tests_passed            integer,
    tests_warned            integer,
    tests_failed            integer,
    error                   text
);
comment on table ops.runs is 'One row per cvdw-ops run: load, dbt build, source freshness.';
-- Added with many accounts (issue 13): a table made before gains it here.
alter table ops.runs add column if not exists accounts jsonb;
comment on column ops.runs.accounts is
    'With many accounts, each account''s load: null when it loaded, else its error.';
"""

DIED = "the run ended without recording its result (killed, or its machine stopped)"


@dataclass
class RunRecord:
    """What a run did; written at its start ('running') and at its end."""

    run_id: int | None = None
    status: str = "running"
    exit_code: int | None = None
    failed_stage: str | None = None
    rows_loaded: dict[str, int] = field(default_factory=dict)
    requests: int | None = None
    rate_limit_wait_seconds: float | None = None
    tests_passed: int | None = None
    tests_warned: int | None = None
    tests_failed: int | None = None
    error: str | None = None
    accounts: dict[str, str | None] | None = None


def ensure_table(conn: Connection) -> None:
    with conn.cursor() as cur:
        cur.execute(DDL)


def close_dead_runs(conn: Connection) -> int:
    """Mark runs left 'running' by a dead process as failed. Call only while holding the lock."""
    with conn.cursor() as cur:
        cur.execute("update ops.runs set status = 'failed', finished_at = %s, error = %s "
                    "where status = 'running'", (clock.now(), DIED))
        return cur.rowcount


def start(conn: Connection, record: RunRecord) -> None:
    with conn.cursor() as cur:
        cur.execute("insert into ops.runs (started_at, status) values (%s, 'running') "
                    "returning run_id", (clock.now(),))
        record.run_id = cur.fetchone()[0]


def finish(conn: Connection, record: RunRecord) -> None:
    with conn.cursor() as cur:
        cur.execute(
            """update ops.runs set finished_at = %s, status = %s, exit_code = %s,
                   failed_stage = %s, rows_loaded = %s, requests = %s,
                   rate_limit_wait_seconds = %s, tests_passed = %s, tests_warned = %s,
                   tests_failed = %s, error = %s, accounts = %s
               where run_id = %s""",
            (clock.now(), record.status, record.exit_code, record.failed_stage,
             json.dumps(record.rows_loaded), record.requests, record.rate_limit_wait_seconds,
             record.tests_passed, record.tests_warned, record.tests_failed, record.error,
             None if record.accounts is None else json.dumps(record.accounts), record.run_id),
        )


def running_since(conn: Connection) -> str | None:
    """When the run marked 'running' started (the lock holder's, normally), as text."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('ops.runs') is not null")
        if not cur.fetchone()[0]:
            return None
        cur.execute("select run_id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS TZ') from ops.runs "
                    "where status = 'running' order by run_id desc limit 1")
        row = cur.fetchone()
    return f"run {row[0]}, started {row[1]}" if row else None


def last_runs(conn: Connection, limit: int = 10) -> list[dict]:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('ops.runs') is not null")
        if not cur.fetchone()[0]:
            return []
        cur.execute("select * from ops.runs order by run_id desc limit %s", (limit,))
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
