"""Row-level security on the marts (issue 13): a three-account warehouse (alfa, beta, gama; the
real loader, the real `dbt build`) whose seed `contas_papeis` maps one login role to alfa, and
another to beta and, through a group role it is a member of, to gama. Each role reads exactly its
accounts' rows in every mart (the owner's rows of those accounts, none of the others'), owns no
mart and cannot bypass the policies; a role the seed does not map reads nothing, a role the seed
names that does not exist only warns; the policies come back with every rebuilt table and follow
the seed as soon as it is reloaded; every dashboard page, as each role, shows the figures of its
accounts only: those of the owner's pages narrowed to them with the Conta filter, and for each
page a figure computed in Python from the simulated worlds of its accounts.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import formatting as fmt
from dashboard.metrics import Period
from pipelines import warehouse
from simulator import World
from simulator.accounts import Accounts, demo_accounts

from .builder import DBT, DBT_DIR, PROJECT_DIR, admin
from .conftest import LIMIT, SHARED, WINDOW
from .expected_funnel import expected_funnel, expected_repasses, expected_stock
from .test_app import app
from .test_dbt import expected_from

NOW = datetime(2026, 11, 18, 9, 0)  # the suite's pinned day (conftest), so the app's today is the worlds'
AS_OF = NOW.date()
PERIOD = Period(date(2023, 1, 1), AS_OF)  # the worlds' whole history (they start three years back)
CONTAS = ("alfa", "beta", "gama")
MARTS = ("vendas", "comissoes", "vso", "prosoluto", "empreendimentos", "anomalias", "funil", "funil_mensal",
         "repasses", "estoque", "estoque_empreendimentos", "metas", "estoque_historico", "repasses_historico")
PAGES = ("visao_geral", "vendas", "funil", "vso", "estoque", "repasses", "comissoes", "prosoluto", "dados")
PASSWORD = "senha-do-papel"  # the embedded server trusts loopback; a real one would check it


@dataclass
class Secured:
    """The warehouse, the copy of the dbt project whose seed maps the roles, and the roles."""

    dbname: str
    project: Path
    worlds: dict[str, World]
    roles: dict[str, tuple[str, ...]]  # login role → the accounts the seed gives it
    group: str  # a group role mapped to gama, of which the beta role is a member
    outsider: str  # a login role granted SELECT on the marts that the seed does not name
    ghost: str  # a role the seed names that does not exist
    first_build: dict  # run_results.json of the first build
    mapping: list[tuple[str, str]] = field(default_factory=list)  # the seed's rows

    @property
    def target(self) -> Path:
        return self.project / "target"

    def role(self, contas: tuple[str, ...]) -> str:
        return next(r for r, c in self.roles.items() if c == contas)

    def owner(self, sql: str, params: tuple = ()) -> list[tuple]:
        return connect_and_run(warehouse.connection_params(), sql, params)

    def as_role(self, role: str, sql: str, params: tuple = ()) -> list[tuple]:
        return connect_and_run(warehouse.connection_params() | {"user": role, "password": PASSWORD},
                               sql, params)

    def seed_rows(self, rows: list[tuple[str, str]]) -> None:
        with (self.project / "seeds" / "contas_papeis.csv").open("w", newline="") as seed:
            csv.writer(seed).writerows([("papel", "conta"), *rows])

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        variables = {"cvdw_accounts": {c: f"raw_{c}" for c in CONTAS}, "as_of": AS_OF.isoformat()}
        command = [str(DBT), *args, "--vars", json.dumps(variables), "--project-dir", str(self.project),
                   "--profiles-dir", str(DBT_DIR), "--target-path", str(self.target),
                   "--log-path", str(self.target)]
        done = subprocess.run(command, cwd=PROJECT_DIR, env=os.environ | {"CVDW_NOW": NOW.isoformat()},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "ERROR=0" in done.stdout, done.stdout[-6000:] + done.stderr[-2000:]
        return done


def connect_and_run(params: dict, sql: str, query_params: tuple) -> list[tuple]:
    conn = psycopg2.connect(**params)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, query_params or None)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """Three accounts loaded and built once for the module, in a database of their own, the dbt
    project copied so that its seed can name this module's roles (roles belong to the server,
    every database shares them: their names are this module's own)."""
    tmp = tmp_path_factory.mktemp("rls")
    tag = uuid.uuid4().hex[:6]
    alfa, beta_gama, group = f"rls_alfa_{tag}", f"rls_beta_gama_{tag}", f"rls_grupo_gama_{tag}"
    outsider, ghost = f"rls_fora_{tag}", f"rls_inexistente_{tag}"
    name = f"test_rls_{tag}"
    project = tmp / "dbt_project"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    admin(f"create database {name}")
    for role in (alfa, beta_gama, outsider):
        admin(f"create role {role} login password '{PASSWORD}'")
    admin(f"create role {group} nologin")
    admin(f"grant {group} to {beta_gama}")
    specs = demo_accounts(list(CONTAS), seed=51, size=40, requests_per_window=LIMIT, window_seconds=WINDOW)
    try:
        with pytest.MonkeyPatch.context() as mp, Accounts(specs, now=NOW) as sims:
            env = {"PGDATABASE": name, "CVDW_PIPELINES_DIR": str(tmp / "dlt"), "DO_NOT_TRACK": "1",
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_TARGET_PATH": str(project / "target")}
            for key, value in (SHARED | sims.env() | env).items():
                mp.setenv(key, value)
            mp.delenv("CVDW_METAS_DIR", raising=False)
            state = Secured(name, project, {c: sims[c].world for c in CONTAS},
                            {alfa: ("alfa",), beta_gama: ("beta", "gama")}, group, outsider, ghost, {})
            state.mapping = [(alfa, "alfa"), (beta_gama, "beta"), (group, "gama"), (ghost, "beta")]
            state.seed_rows(state.mapping)
            from pipelines import cvdw

            assert cvdw.main([]) == 0
            state.dbt("build")
            state.first_build = json.loads((state.target / "run_results.json").read_text())
            # as an administrator grants a BI role everything, outside the seed
            state.owner(f"grant usage on schema marts to {outsider};"
                        f" grant select on all tables in schema marts to {outsider}")
            yield state
    finally:
        admin(f"drop database if exists {name} with (force)")
        for role in (beta_gama, group, alfa, outsider):
            admin(f"drop role if exists {role}")
        shutil.rmtree(tmp, ignore_errors=True)


def counts_per_conta(rows: list[tuple]) -> dict[str, int]:
    return {conta: n for conta, n in rows}


def owner_counts(s: Secured) -> dict[str, dict[str, int]]:
    return {mart: counts_per_conta(s.owner(f"select conta, count(*) from marts.{mart} group by 1"))
            for mart in MARTS}


def check_each_role_reads_its_accounts_only(s: Secured) -> None:
    owner = owner_counts(s)
    assert [m for m in MARTS if not owner[m]] == ["metas"]  # no account has targets; every other mart rows
    assert set(owner["vendas"]) == set(CONTAS)
    for role, contas in s.roles.items():
        for mart in MARTS:
            got = counts_per_conta(s.as_role(role, f"select conta, count(*) from marts.{mart} group by 1"))
            assert got == {c: n for c, n in owner[mart].items() if c in contas}, (role, mart)
        # asking for the other accounts' rows finds none
        others = s.as_role(role, "select count(*) from marts.vendas where conta <> all(%s)", (list(contas),))
        assert others == [(0,)], role


def sales_in(world: World, period: Period) -> tuple[int, int]:
    """(sales, distratos) in the period, from the world's own rows."""
    sales = expected_from(world, AS_OF).sales.values()
    return (sum(period.start <= s["data_venda"] <= period.end for s in sales),
            sum(s["data_distrato"] is not None and period.start <= s["data_distrato"] <= period.end
                for s in sales))


# --------------------------------------------------------------------------- the database
def test_each_role_reads_exactly_its_accounts_rows_in_every_mart(secured: Secured):
    for conta, world in secured.worlds.items():  # the owner's rows are each world's
        assert counts_per_conta(secured.owner("select conta, count(*) from marts.vendas group by 1"))[
            conta] == len(expected_from(world, AS_OF).sales)
    check_each_role_reads_its_accounts_only(secured)
    alfa, beta_gama = secured.role(("alfa",)), secured.role(("beta", "gama"))
    assert secured.as_role(alfa, "select marts.contas_visiveis(current_user)") == [(["alfa"],)]
    assert secured.as_role(beta_gama, "select marts.contas_visiveis(current_user)") == [(["beta", "gama"],)]


def test_a_role_is_restricted_to_its_accounts_and_the_owner_to_none(secured: Secured,
                                                                     monkeypatch: pytest.MonkeyPatch):
    """What the Dados page narrows each run of every account (``ops.runs``) to: a role's accounts
    (``as_seen_by``, tests/test_accounts.py); the owner, whom no policy restricts, sees whole runs."""
    from dashboard import data

    assert data.readable_contas() is None
    for contas in (("alfa",), ("beta", "gama")):
        with monkeypatch.context() as mp:
            as_role(mp, secured.role(contas))
            assert data.readable_contas() == contas


def test_the_roles_own_no_mart_and_cannot_bypass_the_policies(secured: Secured):
    roles = [*secured.roles, secured.outsider, secured.group]
    rows = secured.owner("""
        select c.relname, pg_get_userbyid(c.relowner), c.relkind, c.relrowsecurity,
               array_agg(p.polname) filter (where p.polname is not null)
        from pg_class as c left join pg_policy as p on p.polrelid = c.oid
        where c.relnamespace = 'marts'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        group by 1, 2, 3, 4""")
    assert {r[0] for r in rows} == set(MARTS)
    for mart, owner, kind, rls, policies in rows:
        assert owner not in roles and kind == "r" and rls and policies == ["contas_visiveis"], mart
    attributes = secured.owner("select rolname, rolsuper, rolbypassrls from pg_roles where rolname = any(%s)",
                               (roles,))
    assert len(attributes) == len(roles) and not any(r[1] or r[2] for r in attributes)
    definer = secured.owner("select prosecdef, pg_get_userbyid(proowner) from pg_proc"
                            " where oid = 'marts.contas_visiveis(name)'::regprocedure")
    assert definer == [(True, secured.owner("select current_user")[0][0])]  # the marts' owner's


def test_a_role_the_seed_does_not_map_reads_nothing_and_a_missing_role_only_warns(
        secured: Secured, monkeypatch: pytest.MonkeyPatch):
    for mart in MARTS:
        assert secured.as_role(secured.outsider, f"select count(*) from marts.{mart}") == [(0,)], mart
    alfa = secured.role(("alfa",))
    # a role learns no other role's accounts, and cannot read the mapping itself
    assert secured.as_role(secured.outsider, "select marts.contas_visiveis(%s)", (alfa,)) == [([],)]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        secured.as_role(alfa, "select * from staging.contas_papeis")
    results = {r["unique_id"].split(".")[2]: r for r in secured.first_build["results"]}
    missing = results["is_a_database_role_contas_papeis_papel"]
    assert (missing["status"], missing["failures"]) == ("warn", 1)  # the ghost, skipped
    assert results["is_a_configured_account_contas_papeis_conta"]["status"] == "pass"
    # the dashboard, as that role, says why its pages are empty
    as_role(monkeypatch, secured.outsider)
    at = app("visao_geral", PERIOD)
    warnings = [w.value for w in at.warning]
    assert warnings and all("pode ver: as contas de cada papel vêm do seed contas_papeis" in w
                            and secured.outsider in w for w in warnings)
    assert not at.metric and not at.sidebar.multiselect(key="empreendimentos").options


def test_the_policies_come_back_with_every_rebuilt_table_and_follow_the_seed(secured: Secured):
    tables = "select relname, oid from pg_class where relnamespace = 'marts'::regnamespace and relkind = 'r'"
    before = dict(secured.owner(tables))
    secured.dbt("build", "--select", "marts")
    after = dict(secured.owner(tables))
    assert set(after) == set(MARTS) and not set(before.values()) & set(after.values())  # all re-created
    check_each_role_reads_its_accounts_only(secured)
    # the policies read the seed as it is: reloading it alone, without a rebuild, takes alfa away
    alfa, beta_gama = secured.role(("alfa",)), secured.role(("beta", "gama"))
    try:
        secured.seed_rows([row for row in secured.mapping if row[0] != alfa])
        secured.dbt("seed", "--select", "contas_papeis")
        assert secured.as_role(alfa, "select count(*) from marts.vendas") == [(0,)]
        remaining = secured.as_role(beta_gama, "select distinct conta from marts.vendas order by 1")
        assert remaining == [("beta",), ("gama",)]
    finally:
        secured.seed_rows(secured.mapping)
        secured.dbt("seed", "--select", "contas_papeis")
    check_each_role_reads_its_accounts_only(secured)


# --------------------------------------------------------------------------- the dashboard
def as_role(monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    """The app connects as this role, with its own login, as a deployment per role would."""
    p = warehouse.connection_params()
    for key, value in {"PGHOST": p["host"], "PGPORT": p["port"], "PGUSER": role, "PGPASSWORD": PASSWORD,
                       "PGSSLMODE": "disable"}.items():
        monkeypatch.setenv(key, value)


def every_page(contas: tuple[str, ...] = ()) -> tuple[dict[str, dict], AppTest]:
    """What each page shows (cards, subheaders, tables, errors), in one session."""
    at, shown = app(period=PERIOD, contas=contas), {}
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception[0].message)
        shown[page] = {"cards": {m.label: m.value for m in at.metric},
                       "subheaders": [s.value for s in at.subheader],
                       "tables": [d.value.to_dict("records") for d in at.dataframe],
                       "problems": [e.value for e in at.error] + [w.value for w in at.warning]}
    return shown, at


def expected_pages(worlds: list[World]) -> dict[str, dict[str, str]]:
    """One card per page, for the whole period, from these worlds' own rows."""
    sold = [sales_in(w, PERIOD) for w in worlds]
    expected = [expected_from(w, AS_OF) for w in worlds]
    gross, cancelled = sum(s for s, _ in sold), sum(d for _, d in sold)
    leads = sum(PERIOD.first_month <= x["mes_coorte"] <= PERIOD.last_month
                for w in worlds for x in expected_funnel(w).values() if x["mes_coorte"])
    launches = sum(v[1] for e in expected for (_, month), v in e.vso.items()
                   if PERIOD.first_month <= month <= PERIOD.last_month)
    stock = sum(d["unidades_estoque"] for w in worlds for d in expected_stock(w, AS_OF)[1].values())
    open_repasses = sum(not r["is_concluido"] for w in worlds for r in expected_repasses(w, AS_OF).values()
                        if r["dias_desde_venda"] is not None
                        and PERIOD.start <= AS_OF - timedelta(days=r["dias_desde_venda"]) <= PERIOD.end)
    commissions = sum(c["idreserva"] in e.sales and PERIOD.start <= e.sales[c["idreserva"]]["data_venda"]
                      <= PERIOD.end for e in expected for c in e.commissions.values())
    return {"visao_geral": {"Vendas brutas": fmt.integer(gross), "Distratos": fmt.integer(cancelled)},
            "vendas": {f"Vendas do período ({fmt.integer(gross)})": "subheader"},
            "funil": {"Leads": fmt.integer(leads)}, "vso": {"Lançamentos no período": fmt.integer(launches)},
            "estoque": {"Unidades em estoque": fmt.integer(stock)},
            "repasses": {"Repasses em aberto": fmt.integer(open_repasses)},
            "comissoes": {"Quantidade de comissões": fmt.integer(commissions)},
            "prosoluto": {"Vendas": fmt.integer(gross)}}


@pytest.mark.parametrize("contas", [("alfa",), ("beta", "gama")], ids=["alfa", "beta+gama"])
def test_every_page_shows_each_role_only_its_accounts(secured: Secured, monkeypatch: pytest.MonkeyPatch,
                                                      contas: tuple[str, ...]):
    owner, owner_session = every_page(contas)  # the owner, who reads every account, narrowed to these
    assert owner_session.sidebar.multiselect(key="contas").options == list(CONTAS)
    as_role(monkeypatch, secured.role(contas))
    shown, at = every_page()
    if len(contas) > 1:
        assert at.sidebar.multiselect(key="contas").options == list(contas)
    else:  # one account: no Conta filter
        assert "contas" not in [w.key for w in at.sidebar.multiselect]
    developments = at.sidebar.multiselect(key="empreendimentos").options
    mine = secured.owner("select count(*) from marts.empreendimentos where conta = any(%s)", (list(contas),))
    assert len(developments) == mine[0][0] > 0
    if len(contas) > 1:  # several accounts: each development says whose it is
        assert all(d.endswith(tuple(f"({c})" for c in contas)) for d in developments)
    for page in PAGES:
        assert not shown[page]["problems"], (page, shown[page]["problems"])
        role_cards, owner_cards = shown[page]["cards"], owner[page]["cards"]
        if page == "dados":  # the role may not read the loader's log (raw_<conta>._dlt_loads)
            assert role_cards.pop("Última carga do CVDW") == fmt.MISSING
            owner_cards = {k: v for k, v in owner_cards.items() if k != "Última carga do CVDW"}
        assert role_cards == owner_cards and role_cards, page
        assert shown[page]["tables"] == owner[page]["tables"], page
    for page, cards in expected_pages([secured.worlds[c] for c in contas]).items():
        for label, value in cards.items():
            if value == "subheader":
                assert label in shown[page]["subheaders"], (page, label)
            else:
                assert shown[page]["cards"][label] == value, (page, label)
    # Dados: the anomalies of these accounts' CRM records (none: no table), their raw tables only
    anomalies = next((t for t in shown["dados"]["tables"] if t and "exemplos" in t[0]), [])
    kinds = [ids for c in contas for ids in expected_from(secured.worlds[c], AS_OF).anomalies.values()]
    assert sum(int(r["quantidade"].replace(".", "")) for r in anomalies) == sum(len(ids) for ids in kinds)
    raw = next(t for t in shown["dados"]["tables"] if t and "tabela" in t[0])
    accounts = {r.get("conta") for r in raw + anomalies}
    assert accounts == (set(contas) if len(contas) > 1 else {None})  # a column of its own when several
