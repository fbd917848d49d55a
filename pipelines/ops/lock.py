"""One run at a time per warehouse, whatever machine it starts on: a Postgres advisory lock.

The lock is session-level and held on a connection of its own for the whole run. Postgres
releases it when that session ends, however it ends: a clean exit, a crash, ``kill -9`` (the
server sees the socket close) or a machine that vanished (TCP keepalives, set on both sides
below, end the session within a couple of minutes). So a dead run never leaves a stale lock.
A connection pooler in transaction mode would break this: point ``PGHOST`` at the database
itself (for Neon, the host without ``-pooler``).
"""

from __future__ import annotations

import contextlib

import psycopg2
from psycopg2.extensions import connection as Connection

from pipelines import warehouse

# Advisory-lock keys live per database, so runs on other warehouses never contend.
LOCK_NAME = "cvdw-elt:run"
# Detect a vanished peer: idle 60 s, then 6 probes 10 s apart.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10, "keepalives_count": 6}


class AlreadyRunning(RuntimeError):
    """Another run holds the lock; the message says since when, if the history knows."""


def connect(timeout: int = 10) -> Connection:
    """A dedicated autocommit connection to the warehouse, with keepalives both ways."""
    conn = psycopg2.connect(warehouse.connection_url(), connect_timeout=timeout,
                            application_name="cvdw-ops", **KEEPALIVES)
    conn.autocommit = True
    with conn.cursor() as cur:  # the server also probes, so it ends a dead client's session
        cur.execute("set tcp_keepalives_idle = 60; set tcp_keepalives_interval = 10; "
                    "set tcp_keepalives_count = 6")
    return conn


class RunLock:
    """``with RunLock(conn):`` holds the run lock (or the lock ``name``) or raises
    ``AlreadyRunning`` at once, saying ``busy``."""

    def __init__(self, conn: Connection, name: str = LOCK_NAME,
                 busy: str = "another run holds the lock on this warehouse") -> None:
        self.conn, self.name, self.busy = conn, name, busy

    def __enter__(self) -> RunLock:
        with self.conn.cursor() as cur:
            cur.execute("select pg_try_advisory_lock(hashtext(%s))", (self.name,))
            if not cur.fetchone()[0]:
                raise AlreadyRunning(self.busy)
        return self

    def __exit__(self, *_: object) -> None:
        # A lost connection has lost the lock with its session already: nothing to release.
        with contextlib.suppress(psycopg2.Error), self.conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(hashtext(%s))", (self.name,))


def holder_pid(conn: Connection) -> int | None:
    """The server process id of the session holding the run lock, or None when free."""
    with conn.cursor() as cur:
        cur.execute(
            "select l.pid from pg_locks l join pg_database d on d.oid = l.database "
            "cross join (select hashtext(%s)::bigint as k) key "
            "where l.locktype = 'advisory' and l.granted and d.datname = current_database() "
            # a bigint key shows as its high and low 32 bits, objsubid 1
            "and l.classid = ((key.k >> 32) & 4294967295)::text::oid "
            "and l.objid = (key.k & 4294967295)::text::oid and l.objsubid = 1",
            (LOCK_NAME,),
        )
        row = cur.fetchone()
    return row[0] if row else None
