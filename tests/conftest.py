"""Shared fixtures: the embedded PostgreSQL (started by the suite), a fresh database per test,
an in-process CVDW simulator, and a way to run the real pipeline against both."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The suite reads one pinned clock (pipelines/clock.py), so its result never depends on the day it
# runs; tests that are about particular days pin others.
PINNED_NOW = "2026-11-18T10:00:00"
os.environ["CVDW_NOW"] = PINNED_NOW

from pipelines import warehouse  # noqa: E402
from simulator import Simulator, World  # noqa: E402
from simulator.accounts import Accounts, demo_accounts  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
EMAIL, TOKEN = "tests@cvdw.local", "s3cr3t-test-token-9f8e7d"
PAGE_SIZE = 100  # the pipeline's in tests: a world of 300 reservations takes 138 pages
PERSONAL_DATA_KEY = "tests-personal-data-key-5c1a"  # the keyed hash of personal fields


# dbt's artifacts of the suite (and the manifest Dagster reads) never land in the checkout's
# dbt_project/target, where two workers would write at once; tests that need their own set theirs.
os.environ["DBT_TARGET_PATH"] = tempfile.mkdtemp(prefix="cvdw-dbt-target-")


@pytest.fixture(scope="session", autouse=True)
def embedded_postgres() -> None:
    """The suite starts the warehouse it needs; it never relies on one already running. The
    workers of `pytest -n` start it one at a time (the first one starts it, the others find it)."""
    os.environ.pop("PGHOST", None)
    server = warehouse.EmbeddedPostgres()
    with open(f"{tempfile.gettempdir()}/cvdw-embedded-{server.port}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server.start()


class SQLLint:
    """sqlfluff on the dbt models, started as the suite starts (``pytest_collection_finish``): it
    takes a minute or two of one core, which the suite's first tests, waiting mostly on HTTP and
    the database, leave idle. ``test_lint.test_sql_style_is_clean`` collects its result."""

    process: subprocess.Popen | None = None
    output: Path | None = None

    @classmethod
    def start(cls, folder: Path) -> None:
        cls.output = folder / "sqlfluff.txt"
        env = os.environ | {"DBT_TARGET_PATH": str(folder / "target")}  # not the project's own
        with cls.output.open("w") as out:
            cls.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "sqlfluff"), "lint", "dbt_project/models"],
                cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)

    @classmethod
    def result(cls) -> tuple[int, str]:
        """The exit code and output (started now if the suite did not start it)."""
        if cls.process is None:
            cls.start(Path(tempfile.mkdtemp(prefix="sqlfluff-")))
        code = cls.process.wait(timeout=600)
        return code, cls.output.read_text()


def pytest_collection_finish(session: pytest.Session) -> None:
    # Under `pytest -n` every worker collects every test: the one that runs it lints, in the test.
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    if any(item.name == "test_sql_style_is_clean" for item in session.items):
        SQLLint.start(Path(tempfile.mkdtemp(prefix="sqlfluff-")))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SQLLint.process is not None and SQLLint.process.poll() is None:  # the suite stopped early
        SQLLint.process.kill()


@dataclass
class Database:
    name: str

    def url(self) -> str:
        return warehouse.connection_url()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg2.connect(self.url()) as conn, conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall() if cur.description else []

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]

    def count(self, table: str, schema: str = "raw") -> int:
        return self.scalar(f'select count(*) from {schema}."{table}"')


def _admin(sql: str) -> None:
    params = warehouse.connection_params() | {"dbname": "postgres"}
    conn = psycopg2.connect(**{k: v for k, v in params.items() if k != "sslmode"})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Database]:
    """A new empty database on the embedded server, and its own dlt working folder."""
    name = f"test_{uuid.uuid4().hex[:10]}"
    _admin(f"create database {name}")
    monkeypatch.setenv("PGDATABASE", name)
    monkeypatch.setenv("CVDW_PIPELINES_DIR", str(tmp_path / "dlt"))
    yield Database(name)
    _admin(f"drop database if exists {name} with (force)")


@pytest.fixture
def world() -> World:
    return World(seed=7, size=300)


@pytest.fixture
def simulator(world: World) -> Iterator[Simulator]:
    """A simulator whose rate limit is out of the way unless a test tightens it."""
    with Simulator(world, email=EMAIL, token=TOKEN, requests_per_window=10_000,
                   window_seconds=1.0) as sim:
        yield sim


@pytest.fixture
def cvdw_config(monkeypatch: pytest.MonkeyPatch, simulator: Simulator) -> dict[str, str]:
    """Point the pipeline at the simulator, as a deployment would: environment variables only."""
    config = {
        "SOURCES__CVDW__BASE_URL": simulator.base_url,
        "SOURCES__CVDW__EMAIL": EMAIL,
        "SOURCES__CVDW__TOKEN": TOKEN,
        "SOURCES__CVDW__PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
        "SOURCES__CVDW__REQUESTS_PER_MINUTE": "10000",
        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": "1",
        "SOURCES__CVDW__PAGE_SIZE": str(PAGE_SIZE),
        "SOURCES__CVDW__TIMEOUT_SECONDS": "2",
        "SOURCES__CVDW__BACKOFF_SECONDS": "0.05",
        "SOURCES__CVDW__MAX_RETRY_SECONDS": "30",
    }
    for key, value in config.items():
        monkeypatch.setenv(key, value)
    return config


LIMIT, WINDOW = 40, 1.0  # each account's compressed allowance: 40 requests a second
SHARED = {  # [sources.cvdw]: what every account shares unless its own section says otherwise
    "SOURCES__CVDW__PERSONAL_DATA_KEY": PERSONAL_DATA_KEY, "SOURCES__CVDW__PAGE_SIZE": str(PAGE_SIZE),
    "SOURCES__CVDW__TIMEOUT_SECONDS": "2", "SOURCES__CVDW__BACKOFF_SECONDS": "0.05",
    "SOURCES__CVDW__MAX_RETRY_SECONDS": "30",
}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[Accounts]:
    """Three simulated accounts, each its own world and profile, configured by variables only."""
    specs = demo_accounts(["alfa", "beta", "gama"], seed=51, size=40, requests_per_window=LIMIT,
                          window_seconds=WINDOW)
    with Accounts(specs) as sims:
        for key, value in (SHARED | sims.env()).items():
            monkeypatch.setenv(key, value)
        yield sims


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run_pipeline(database: Database, cvdw_config: dict[str, str], capsys: pytest.CaptureFixture):
    """Run ``pipelines/cvdw.py``'s main in this process with the given arguments."""
    from pipelines import cvdw

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cvdw.main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_script(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Result:
    """Run ``python pipelines/cvdw.py`` as a separate process, as cron would."""
    completed = subprocess.run(
        [sys.executable, "pipelines/cvdw.py", *args], cwd=PROJECT_DIR, env=env or os.environ.copy(),
        capture_output=True, text=True, timeout=timeout,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
