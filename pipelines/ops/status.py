"""``cvdw-ops status``: is a run in progress, the last runs, and how fresh each raw table is."""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from pipelines import clock, warehouse
from pipelines.ops import history, lock


def raw_freshness(conn: Connection, schema: str = "raw") -> list[tuple[str, datetime | None, int]]:
    """(table, newest load, rows) for each raw table dlt loads (child tables carry no load id)."""
    with conn.cursor() as cur:
        cur.execute("select table_name from information_schema.columns where table_schema = %s "
                    "and column_name = '_dlt_load_id' and table_name not like '\\_dlt%%' "
                    "order by table_name", (schema,))
        tables = [name for (name,) in cur.fetchall()]
        result = []
        for table in tables:
            cur.execute(sql.SQL("select to_timestamp(max(_dlt_load_id)::double precision), count(*) "
                                "from {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
            newest, rows = cur.fetchone()
            result.append((table, newest, rows))
        return result


def report(conn: Connection, limit: int = 10, now: datetime | None = None) -> str:
    now = now or clock.now()
    pid = lock.holder_pid(conn)
    running = history.running_since(conn)
    lines = [f"Warehouse: {warehouse.describe()}",
             f"Lock: held by server process {pid} ({running or 'no running row'})" if pid
             else "Lock: free (no run in progress)", "", "Last runs:"]
    runs = history.last_runs(conn, limit)
    if not runs:
        lines.append("  none recorded yet (ops.runs is empty or missing)")
    lines.append(f"  {'run':>5} {'started (UTC)':<17} {'took':>8} {'status':<8} {'exit':>4} "
                 f"{'stage':<9} {'rows':>9} {'tests p/w/f':>13}  error") if runs else None
    for r in runs:
        took = (f"{(r['finished_at'] - r['started_at']).total_seconds():.0f} s" if r["finished_at"]
                else "…")
        tests = (f"{r['tests_passed']}/{r['tests_warned']}/{r['tests_failed']}"
                 if r["tests_passed"] is not None else "-")
        rows = sum((r["rows_loaded"] or {}).values())
        lines.append(f"  {r['run_id']:>5} {r['started_at'].astimezone(UTC):%Y-%m-%d %H:%M} "
                     f"{took:>8} {r['status']:<8} {_dash(r['exit_code']):>4} "
                     f"{_dash(r['failed_stage']):<9} {rows:>9,} {tests:>13}  {r['error'] or ''}")
    lines += ["", "Raw tables (newest load):"]
    tables = raw_freshness(conn)
    if not tables:
        lines.append("  none loaded yet")
    for table, newest, rows in tables:
        age = f"{(now - newest).total_seconds() / 86400:.1f} days ago" if newest else "never"
        when = f"{newest.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if newest else "-"
        lines.append(f"  {table:<28} {when:<21} {age:>16} {rows:>12,} rows")
    return "\n".join(line for line in lines if line is not None)


def _dash(value) -> str:
    return "-" if value is None else str(value)
