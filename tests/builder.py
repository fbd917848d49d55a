"""A simulator world loaded by the real pipeline and built by the real ``dbt build``, in a fresh
database on the embedded server: shared by the dbt, app and browser tests and the app benchmark."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg2
import pytest

from pipelines import warehouse
from simulator import Simulator, World
from simulator import metas as simulated_metas
from simulator.world import from_ts

from .conftest import EMAIL, PERSONAL_DATA_KEY, PROJECT_DIR, TOKEN

DBT_DIR = PROJECT_DIR / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def admin(sql: str, params: tuple = ()) -> None:
    """Run a statement on the server's maintenance database (create/drop database, roles)."""
    p = warehouse.connection_params() | {"dbname": "postgres"}
    conn = psycopg2.connect(**{k: v for k, v in p.items() if k != "sslmode"})
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql, params or None)
    conn.close()


@dataclass
class Built:
    world: World
    dbname: str
    target_dir: Path
    metas_folder: Path | None = None  # where the account's targets (metas.csv) were written

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall() if cur.description else []

    @property
    def as_of(self) -> date:
        return from_ts(self.world.now).date()

    def load(self) -> None:
        from pipelines import cvdw

        assert cvdw.main([]) == 0

    def dbt(self, *args: str, timeout: float = 300, project: Path = DBT_DIR,
            now: datetime | None = None) -> subprocess.CompletedProcess:
        target = self.target_dir if project == DBT_DIR else project / "target"
        command = [str(DBT), *args, "--project-dir", str(project), "--profiles-dir", str(DBT_DIR),
                   "--target-path", str(target), "--log-path", str(target)]
        env = os.environ | ({"CVDW_NOW": now.isoformat()} if now else {})
        if self.metas_folder:  # relative to the project this run builds (a copy, say)
            env["CVDW_METAS_DIR"] = os.path.relpath(self.metas_folder, project)
        return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True,
                              text=True, timeout=timeout)

    def build(self) -> None:
        """``dbt build`` as of the world's present: the marts' today and the snapshots' stamp."""
        done = self.dbt("build", "--vars", json.dumps({"as_of": self.as_of.isoformat()}),
                        now=from_ts(self.world.now))
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
        assert "ERROR=0" in done.stdout


@contextmanager
def built_world(seed: int, size: int, tmp: Path, prefix: str = "test_built",
                now: datetime | None = None, profile: str | None = None,
                metas: bool = False) -> Iterator[Built]:
    """A fresh database holding one simulator world (as of ``now``, else the simulator's fixed
    day; an account ``profile``, else the kind default; with ``metas``, the simulated account's
    targets as the metas seed), loaded and built; the PG*, dlt and CVDW variables point at it
    (and the simulator) until the block ends, then it is dropped."""
    world = World(seed=seed, size=size, profile=profile, **({"now": now} if now else {}))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin(f"create database {name}")
    try:
        with pytest.MonkeyPatch.context() as mp, Simulator(
            world, email=EMAIL, token=TOKEN, requests_per_window=10_000, window_seconds=1.0
        ) as sim:
            env = {
                "PGDATABASE": name, "CVDW_PIPELINES_DIR": str(tmp / "dlt"), "DO_NOT_TRACK": "1",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "SOURCES__CVDW__BASE_URL": sim.base_url, "SOURCES__CVDW__EMAIL": EMAIL,
                "SOURCES__CVDW__TOKEN": TOKEN, "SOURCES__CVDW__PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
                "SOURCES__CVDW__REQUESTS_PER_MINUTE": "10000",
                "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": "1", "SOURCES__CVDW__PAGE_SIZE": "500",
                "SOURCES__CVDW__TIMEOUT_SECONDS": "5", "SOURCES__CVDW__BACKOFF_SECONDS": "0.05",
                "SOURCES__CVDW__MAX_RETRY_SECONDS": "30",
            }
            folder = simulated_metas.write(world, tmp / "metas").parent if metas else None
            if folder:  # relative: dbt writes a seed's compiled SQL to target/run/<its path>
                env["CVDW_METAS_DIR"] = os.path.relpath(folder, DBT_DIR)
            for key, value in env.items():
                mp.setenv(key, value)
            state = Built(world, name, tmp / "target", folder)
            state.load()
            state.build()
            yield state
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        admin(f"drop database if exists {name} with (force)")


@dataclass
class AccountView:
    """One account of a warehouse holding several, read as a single-account build is: ``query``
    reads ``marts.<mart>`` as the view ``marts_<conta>.<mart>`` of the account's rows, and ``raw``
    as its schema ``raw_<conta>``, so the single-account checks (``check_marts``...) apply."""

    world: World
    conta: str

    @property
    def as_of(self) -> date:
        return from_ts(self.world.now).date()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        sql = (sql.replace("marts.", f"marts_{self.conta}.").replace("'raw'", f"'raw_{self.conta}'")
               .replace("raw.", f"raw_{self.conta}."))
        with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall() if cur.description else []

    def create_views(self) -> None:
        marts = [t for (t,) in self.query("select table_name from information_schema.tables"
                                          " where table_schema = %s", ("marts",))]
        with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
            cur.execute(f"create schema marts_{self.conta}")
            for mart in marts:
                cur.execute(f"create view marts_{self.conta}.{mart} as"
                            f" select * from marts.{mart} where conta = %s", (self.conta,))


@contextmanager
def built_accounts(specs: list, tmp: Path, prefix: str) -> Iterator[dict[str, AccountView]]:
    """A fresh database holding several simulated accounts (``SimulatedAccount`` specs, one world
    each, as of the simulator's fixed day), loaded in parallel by the real pipeline and built by
    one ``dbt build`` of them all; yields each account's view. The PG*, dlt and CVDW variables
    point at them until the block ends, then the database is dropped."""
    from pipelines import cvdw
    from simulator.accounts import Accounts

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin(f"create database {name}")
    try:
        with pytest.MonkeyPatch.context() as mp, Accounts(specs) as served:
            env = {"PGDATABASE": name, "CVDW_PIPELINES_DIR": str(tmp / "dlt"), "DO_NOT_TRACK": "1",
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET_PATH": str(tmp / "target"),
                   "SOURCES__CVDW__PERSONAL_DATA_KEY": PERSONAL_DATA_KEY, "SOURCES__CVDW__PAGE_SIZE": "500",
                   "SOURCES__CVDW__TIMEOUT_SECONDS": "5", "SOURCES__CVDW__BACKOFF_SECONDS": "0.05",
                   "SOURCES__CVDW__MAX_RETRY_SECONDS": "30"}
            for key, value in (env | served.env()).items():
                mp.setenv(key, value)
            mp.delenv("CVDW_METAS_DIR", raising=False)
            assert cvdw.main([]) == 0
            now = from_ts(served[specs[0].name].world.now)
            variables = {"cvdw_accounts": {s.name: f"raw_{s.name}" for s in specs},
                         "as_of": now.date().isoformat()}
            done = Built(served[specs[0].name].world, name, tmp / "target").dbt(
                "build", "--vars", json.dumps(variables), now=now)
            assert done.returncode == 0 and "ERROR=0" in done.stdout, done.stdout[-6000:]
            views = {s.name: AccountView(served[s.name].world, s.name) for s in specs}
            for view in views.values():
                view.create_views()
            yield views
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        admin(f"drop database if exists {name} with (force)")
