"""Many CVCRM accounts in one warehouse (issue 13): accounts come from configuration only; each
loads into its own dataset, within its own allowance, in parallel with the others; one failing
leaves the others loaded; one account loads once at a time. Expected rows come from each
account's simulated world."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd
import psycopg2
import pytest

from pipelines import accounts, warehouse
from pipelines.cvdw_source.endpoints import ENDPOINTS
from pipelines.ops import history, lock, logs, transform
from simulator.accounts import Accounts

from .conftest import LIMIT, PROJECT_DIR, WINDOW, Database, run_script


def dataset_versions(db: Database, dataset: str, table: str) -> list[tuple]:
    return db.query(f'select referencia, referencia_data from {dataset}."{table}"')


def assert_dataset_equals_world(db: Database, dataset: str, world) -> None:
    for endpoint in ENDPOINTS:
        expected = {str(r["referencia"]): r["referencia_data"] for r in world.rows(endpoint.path)}
        got = dataset_versions(db, dataset, endpoint.table)
        assert len(got) == len(expected), (dataset, endpoint.path)  # no duplicates
        assert dict(got) == expected, (dataset, endpoint.path)


def busiest_window(times: list[float], window: float) -> int:
    """The most requests any sliding ``window`` seconds held."""
    times, most, first = sorted(times), 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


# --------------------------------------------------------------------------- configuration
def test_accounts_come_from_variables_with_shared_settings_but_never_shared_credentials(
        monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__NORTE__BASE_URL", "http://n/api/v1/cvdw")
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__NORTE__REQUESTS_PER_MINUTE", "7")
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__SUL__SUBDOMAIN", "sul")
    monkeypatch.setenv("SOURCES__CVDW__TOKEN", "a-shared-token")
    monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", "250")
    norte, sul = accounts.configured()
    assert (norte.name, norte.dataset, norte.pipeline_name) == ("norte", "raw_norte", "cvdw_norte")
    assert sul.dataset == "raw_sul" and accounts.named("sul") == sul
    assert int(norte.value("requests_per_minute")) == 7
    assert int(sul.value("requests_per_minute")) == 20  # [sources.cvdw] in .dlt/config.toml
    assert int(norte.value("page_size")) == int(sul.value("page_size")) == 250
    assert json.loads(accounts.dbt_vars([norte, sul])[1]) == {  # what dbt's staging unions
        "cvdw_accounts": {"norte": "raw_norte", "sul": "raw_sul"}}
    assert norte.value("token", secret=True) is None  # another account's token is never borrowed
    with pytest.raises(accounts.AccountError, match="configured: norte, sul"):
        accounts.named("leste")
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__MAL-NOME__TOKEN", "x")
    with pytest.raises(accounts.AccountError, match="rename mal-nome"):
        accounts.configured()


def test_without_accounts_the_one_account_keeps_raw():
    (only,) = accounts.configured()
    assert (only.name, only.dataset, only.pipeline_name, only.section) == (
        "default", "raw", "cvdw", "sources.cvdw")


# --------------------------------------------------------------------------- loads
def test_every_account_loads_into_its_own_dataset_in_parallel_within_its_own_limit(
        database: Database, served: Accounts):
    result = run_script()
    assert result.code == 0, result.err[-3000:]
    for spec in served.specs:
        sim = served[spec.name]
        assert_dataset_equals_world(database, f"raw_{spec.name}", sim.world)
        assert f"account {spec.name}: loaded into schema raw_{spec.name}" in result.out
        assert f"[{spec.name}] " in result.out + result.err  # its lines say whose they are
        assert busiest_window([r.time for r in sim.requests], WINDOW) <= LIMIT
        assert not [r for r in sim.requests if r.status == 429]
    assert not database.query("select 1 from information_schema.schemata where schema_name = 'raw'")
    spans = [(min(r.time for r in s.requests), max(r.time for r in s.requests))
             for s in served.servers.values()]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # all were loading at once
    assert len({s.world.profile.name if s.world.profile else None for s in served.servers.values()}) == 3
    # Freshness checks each account's own schema: nothing is stale, just loaded; a path the
    # account has no rows in has no age, named with its account, and fails nothing.
    empty = {f"{spec.name}: cvdw.{e.table}" for spec in served.specs for e in ENDPOINTS
             if not served[spec.name].world.rows(e.path)}
    checked = transform.freshness()
    assert checked.success and not checked.stale, checked.error
    assert set(checked.empty) <= empty and checked.empty, (checked.empty, empty)
    assert_dados_freshness_is_each_accounts_own(database, served)


def assert_dados_freshness_is_each_accounts_own(db: Database, served: Accounts) -> None:
    """The Dados page's freshness column: each account's tables with their own newest load."""
    from dashboard import data
    from dashboard.views.dados import with_freshness

    checked = data.source_freshness()
    assert set(checked["conta"]) == {spec.name for spec in served.specs}
    tables = with_freshness(data.raw_tables(data.raw_schemas([spec.name for spec in served.specs])), checked)
    monitored = tables[tables["status"].notna()]
    assert len(monitored) == len(checked)  # every check found its account's table
    for row in monitored.itertuples():
        [(newest,)] = db.query(f'select max(_dlt_load_id) from raw_{row.conta}."{row.tabela}"')
        if newest is None:  # no row to date (dbt: stale), said as such
            assert row.status == "empty" and pd.isna(row.ultima_carga), (row.conta, row.tabela)
        else:
            loaded = datetime.fromtimestamp(float(newest), UTC)
            assert abs(row.ultima_carga - loaded) < timedelta(milliseconds=1), (row.conta, row.tabela)
            assert row.status == "pass", (row.conta, row.tabela)
    newest_by_account = monitored.groupby("conta")["ultima_carga"].max()
    assert newest_by_account.nunique() == len(served.specs)  # so a mix-up would show


def test_wrong_credentials_on_one_account_leave_the_others_loaded(
        database: Database, served: Accounts, monkeypatch: pytest.MonkeyPatch):
    """Through ``cvdw-ops``, as a scheduler runs it: the accounts that loaded are still built, and
    the run's record has each account's rows and beta's reason."""
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__BETA__TOKEN", "not-betas-token")
    completed = subprocess.run([sys.executable, "-m", "pipelines.ops", "run", "--stages", "load,build",
                                "--dbt-args", "--select stg_cvdw__reservas --indirect-selection cautious"],
                               cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    out, err = completed.stdout, completed.stderr
    assert completed.returncode == 2, err[-3000:]  # a configuration error, beta's
    for name in ("alfa", "gama"):
        assert_dataset_equals_world(database, f"raw_{name}", served[name].world)
        assert f"account {name}: loaded" in err  # the accounts' summary: a failure, on stderr
    assert "account beta: FAILED (exit 2" in err
    beta_lines = [line for line in err.splitlines() if "[beta] error:" in line]
    assert beta_lines and "credentials" in beta_lines[0].lower()
    assert "not-betas-token" not in out + err
    with psycopg2.connect(warehouse.connection_url()) as conn:
        [run] = history.last_runs(conn, 1)
    assert run["error"].startswith("accounts that failed: beta (") and "credentials" in run["error"]
    assert run["rows_loaded"] == {f"{name}.{e.table}": len(served[name].world.rows(e.path))
                                  for name in ("alfa", "gama") for e in ENDPOINTS}
    assert run["requests"] >= sum(len(served[name].requests) for name in ("alfa", "gama"))
    assert run["accounts"] == {"alfa": None, "beta": run["accounts"]["beta"], "gama": None}
    assert "credentials" in run["accounts"]["beta"]
    staged = dict(database.query("select conta, count(*) from staging.stg_cvdw__reservas group by conta"))
    assert staged == {name: database.count("reservas", schema=f"raw_{name}") for name in ("alfa", "gama")}
    assert run["tests_passed"] is not None  # the build ran, for the accounts that loaded
    assert_dados_runs_show_each_account_its_own(run)


def assert_dados_runs_show_each_account_its_own(run: dict) -> None:
    """The Dados page's run list for a user of alfa (whose load succeeded) and of beta."""
    from dashboard import data
    from dashboard.views.dados import as_seen_by

    [alfa] = as_seen_by(data.run_history(), ("alfa",)).to_dict("records")
    assert alfa["status"] == "success" and pd.isna(alfa["failed_stage"]) and pd.isna(alfa["error"])
    assert alfa["rows_loaded"] == {k: n for k, n in run["rows_loaded"].items() if k.startswith("alfa.")}
    assert pd.isna(alfa["requests"])  # a count of every account's requests together
    [beta] = as_seen_by(data.run_history(), ("beta",)).to_dict("records")
    assert (beta["status"], beta["failed_stage"], beta["rows_loaded"]) == ("failed", "config", {})
    assert beta["error"] == f"beta: {run['accounts']['beta']}"
    [both] = as_seen_by(data.run_history(), ("alfa", "beta", "gama")).to_dict("records")
    assert (both["rows_loaded"], both["requests"]) == (run["rows_loaded"], run["requests"])


def test_one_account_loads_once_at_a_time(database: Database, served: Accounts):
    from pipelines import cvdw

    conn = lock.connect()
    try:
        with lock.RunLock(conn, "cvdw-elt:load:cvdw_alfa"):  # a load of alfa already running
            busy = cvdw.load(["--account", "alfa"])
            declaring = cvdw.load(["--account", "alfa", "--declare-only"])  # the dbt job's first step
            other = cvdw.load(["--account", "gama", "--endpoints", "corretores"])
    finally:
        conn.close()
    assert busy.exit_code == 1 and "another load of account alfa is running" in busy.error
    assert declaring.exit_code == 0  # the running load declares its tables: not a failure
    assert not served["alfa"].requests  # it asked nothing of CVDW
    assert other.exit_code == 0  # another account is not held back
    unknown = cvdw.load(["--account", "zeta"])
    assert unknown.exit_code == 2 and "configured: alfa, beta, gama" in unknown.error
    assert "account" not in logs._state  # the account's tag ended with its load
