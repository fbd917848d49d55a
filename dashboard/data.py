"""Reads for the dashboard: the ``marts`` schema, plus dlt's and dbt's metadata for the Dados page.

Every query is a constant SQL text with bound parameters (``%(name)s``); filter values chosen by
a user travel only as parameters, never as SQL (the one text built at run time, the Dados page's
load log, names raw schemas the catalog lists, of the loader's form only). Results are cached with
``st.cache_data`` for ``CACHE_SECONDS``, keyed by the database and the user too, so two warehouses
or two roles never share a cache entry.
The connection is read-only and comes from the ``PG*`` variables (or the embedded PostgreSQL).
Which marts exist and have rows is checked first (``mart_states``), so that a missing or empty
mart stops only the pages that read it.

Many accounts: every mart row carries its account (``conta``), and ids (developments, reservations,
brokers) are unique within an account only, so every join and grouping by an id includes
``conta``, and a development is chosen as a (conta, id) pair. Which accounts a user sees is the
database's business: the marts' row-level security (dbt_project/macros/row_security.sql) shows
the app's role only the rows of its accounts, whatever a query asks; the Conta filter narrows
that further.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2
import psycopg2.extensions
import streamlit as st
from psycopg2 import errors

from dashboard.metrics import Period, add_months, month_range
from pipelines import clock, warehouse

CACHE_SECONDS = 600
MART_CHECK_SECONDS = 60  # a mart rebuilt after the dashboard said it was missing shows within a minute
TABLE_ROWS = 100  # rows a table of sales or commissions shows on screen; its CSV download has them all
PROJECT_DIR = Path(__file__).resolve().parent.parent
# NUMERIC to float: the app formats and charts values, the sums themselves are done in SQL.
_NUMERIC_AS_FLOAT = psycopg2.extensions.new_type(
    psycopg2.extensions.DECIMAL.values, "NUMERIC_AS_FLOAT", lambda v, cur: None if v is None else float(v))


class DataUnavailable(RuntimeError):
    """The warehouse cannot answer; the message (pt-BR, without secrets) says what to do."""


# A development: its account and its id there (two accounts may both have a development 12).
Development = tuple[str, int]


@dataclass(frozen=True)
class Filters:
    period: Period
    empreendimentos: tuple[Development, ...] = ()  # (conta, idempreendimento); empty: all developments
    imobiliarias: tuple[str, ...] = ()  # empty: all brokerages
    contas: tuple[str, ...] = ()  # empty: every account this user's role may read
    many_contas: bool = False  # several accounts in view: names of developments and brokers say whose
    # The warehouse and user (``target()``): the pages' caches are keyed by their filters, and two
    # users (two roles, two accounts' views) never share an entry.
    where: tuple[str, ...] = field(default_factory=lambda: target())

    def params(self, period: Period | None = None) -> dict[str, Any]:
        p = period or self.period
        return {"start": p.start, "end": p.end, "contas": list(self.contas),
                "emp_contas": [conta for conta, _ in self.empreendimentos],
                "emp_ids": [int(i) for _, i in self.empreendimentos],
                "imobs": list(self.imobiliarias), "many": self.many_contas}


# Appended to queries on the marts: the shared filters, as parameters. The accounts apply wherever
# the developments do (every mart has both); a development is its (conta, id) pair.
FILTER_CONTAS = "(cardinality(%(contas)s::text[]) = 0 or conta = any(%(contas)s::text[]))"
FILTER_EMPS = (f"{FILTER_CONTAS} and (cardinality(%(emp_ids)s::bigint[]) = 0 or (conta, idempreendimento)"
               " in (select * from unnest(%(emp_contas)s::text[], %(emp_ids)s::bigint[])))")
FILTER_IMOBS = "(cardinality(%(imobs)s::text[]) = 0 or imobiliaria = any(%(imobs)s::text[]))"
FILTERS = f"{FILTER_EMPS} and {FILTER_IMOBS}"


def of_account(alias: str = "") -> str:
    """SQL that follows a name of the account's own (a development, a broker) with its account,
    " (alfa)", when several accounts are in view (``%(many)s``); nothing otherwise."""
    conta = f"{alias}.conta" if alias else "conta"
    return f"case when %(many)s then ' (' || {conta} || ')' else '' end"


def development_name(alias: str = "") -> str:
    """A development's name (or "Empreendimento <id>"), with its account when several are in view."""
    a = f"{alias}." if alias else ""
    return f"coalesce({a}empreendimento, 'Empreendimento ' || {a}idempreendimento) || {of_account(alias)}"


# --------------------------------------------------------------------------- connection
def target() -> tuple[str, str, str, str]:
    """Which warehouse (host, port, database, user): part of every cache key."""
    p = warehouse.connection_params()
    return p["host"], p["port"], p["dbname"], p["user"]


@st.cache_resource(show_spinner=False)
def _started(where: tuple) -> bool:
    """Start the embedded PostgreSQL once per process when it is the warehouse."""
    warehouse.ensure_running()
    return True


def _connect():
    p = warehouse.connection_params()
    where = f"{p['host']}:{p['port']}/{p['dbname']}"
    try:
        _started(target())
        conn = psycopg2.connect(**p, connect_timeout=10, application_name="cvdw-dashboard",
                                options="-c statement_timeout=60000")
    except (psycopg2.OperationalError, warehouse.WarehouseError) as exc:
        raise DataUnavailable(
            f"Não foi possível conectar ao banco de dados em {where} como {p['user']}: verifique as "
            "variáveis PG* (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) e se o servidor está no ar."
        ) from exc
    conn.set_session(readonly=True, autocommit=True)
    psycopg2.extensions.register_type(_NUMERIC_AS_FLOAT, conn)
    return conn


@contextmanager
def _session() -> Iterator[psycopg2.extensions.cursor]:
    """A cursor on a new read-only connection, closed afterwards; the database's refusals become
    ``DataUnavailable``."""
    conn = _connect()
    try:
        with conn.cursor() as cur:
            yield cur
    except errors.UndefinedTable as exc:
        raise DataUnavailable(
            "As tabelas do painel (schema marts) ainda não existem neste banco: rode a carga e "
            "`dbt build` (ou `make demo`)."
        ) from exc
    except errors.InsufficientPrivilege as exc:
        raise DataUnavailable(
            f"O usuário {conn.info.user} não tem permissão de leitura nas tabelas do painel: conceda "
            "USAGE e SELECT no schema marts (veja o README)."
        ) from exc
    finally:
        conn.close()


def _frame(cur: psycopg2.extensions.cursor, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    cur.execute(sql, params)
    return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def _run(sql: str, params: dict[str, Any]) -> pd.DataFrame:
    with _session() as cur:
        return _frame(cur, sql, params)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Consultando o banco de dados…", max_entries=500)
def _cached(sql: str, params: dict[str, Any], where: tuple) -> pd.DataFrame:
    return _run(sql, params)


def query(sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """A constant SQL text with bound parameters → DataFrame (cached)."""
    return _cached(sql, params or {}, target())


def query_rows(sql: str, params: dict[str, Any], limit: int | None) -> pd.DataFrame:
    """A query ending in ``limit %(limit)s``: the first ``limit`` rows, cached, for the screen; with
    ``limit=None`` every row, read when a CSV download is clicked and not kept in the cache."""
    if limit is None:
        return _run(sql, params | {"limit": None})
    return query(sql, params | {"limit": limit})


def refresh() -> None:
    """The "Atualizar dados" button: forget every cached read, and the tables and charts made
    from them."""
    st.cache_data.clear()


def _months(period: Period) -> dict[str, date]:
    return {"m0": period.first_month, "m1": period.last_month}


# --------------------------------------------------------------------------- marts present
# The marts the pages read (``ui.require_marts`` at the top of each page names its own), and what
# the check below says of each.
MARTS = ("empreendimentos", "vendas", "comissoes", "vso", "prosoluto", "anomalias", "funil", "funil_mensal",
         "repasses", "repasses_historico", "estoque", "estoque_empreendimentos", "estoque_historico", "metas")
READY, EMPTY, MISSING, DENIED = "ready", "empty", "missing", "denied"
# Empty for this user only, perhaps: row-level security shows it only its accounts' rows (the seed
# contas_papeis), and none of them is in the mart.
HIDDEN = "hidden"
MART_MESSAGES = {
    MISSING: "O mart `marts.{mart}` não existe neste banco. Reconstrua os marts com "
             "`cvdw-ops run --stages build` (ou `dbt build` em dbt_project/).",
    EMPTY: "O mart `marts.{mart}` está vazio neste banco; se o CVDW tem dados, rode a carga e o build: "
           "`cvdw-ops run`.",
    DENIED: "O usuário {user} não tem permissão de leitura no mart `marts.{mart}`: conceda USAGE e SELECT "
            "no schema marts (veja o README).",
    HIDDEN: "O mart `marts.{mart}` não tem linhas das contas que o usuário {user} pode ver: as contas de "
            "cada papel vêm do seed contas_papeis (veja o README); se o CVDW tem dados delas, rode a carga e "
            "o build: `cvdw-ops run`.",
}
# Whether a mart has rows: one constant text per mart of the fixed list above, run only for those
# the catalog shows (a missing relation would fail the whole statement).
_MART_CATALOG = """
    select m.mart, c.oid is not null as existe,
           coalesce(has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(c.oid, 'SELECT'), false)
               as legivel,
           -- row-level security applies to this user: not the owner, a superuser or BYPASSRLS
           coalesce(c.relrowsecurity
                    and not (pg_has_role(c.relowner, 'USAGE') or u.rolsuper or u.rolbypassrls), false)
               as com_rls
    from unnest(%(marts)s::text[]) as m(mart)
    left join pg_namespace as n on n.nspname = 'marts'
    left join pg_class as c
        on c.relnamespace = n.oid and c.relname = m.mart and c.relkind in ('r', 'p', 'v', 'm', 'f')
    left join pg_roles as u on u.rolname = current_user"""
# Whether the policies restrict this user now: the seed maps roles (the function is the policies'
# own, dbt_project/macros/row_security.sql; null while the seed is empty).
_RESTRICTED = "select marts.contas_visiveis(current_user) is not null as restrito"
_MART_HAS_ROWS = {mart: f"select '{mart}' as mart, exists (select 1 from marts.{mart}) as tem_linhas"
                  for mart in MARTS}


@st.cache_data(ttl=MART_CHECK_SECONDS, show_spinner=False)
def _mart_states(where: tuple) -> dict[str, str]:
    with _session() as cur:
        catalog = _frame(cur, _MART_CATALOG, {"marts": list(MARTS)})
        states = {row.mart: READY if row.legivel else DENIED if row.existe else MISSING
                  for row in catalog.itertuples()}
        readable = [mart for mart in MARTS if states[mart] == READY]
        if readable:
            rows = _frame(cur, " union all ".join(_MART_HAS_ROWS[mart] for mart in readable), {})
            states |= {row.mart: READY if row.tem_linhas else EMPTY for row in rows.itertuples()}
        policed = {row.mart for row in catalog.itertuples() if row.com_rls and states[row.mart] == EMPTY}
        if policed and _frame(cur, _RESTRICTED, {}).iloc[0]["restrito"]:
            states |= dict.fromkeys(policed, HIDDEN)
    return states


def mart_states() -> dict[str, str]:
    """Each of ``MARTS`` → ``READY`` (it has rows), ``EMPTY``, ``HIDDEN`` (no row of this user's
    accounts), ``MISSING`` or ``DENIED`` (this user cannot read it): catalog-sized queries, cached for
    ``MART_CHECK_SECONDS``."""
    return _mart_states(target())


def mart_ready(mart: str) -> bool:
    return mart_states()[mart] == READY


def mart_problems(marts: Iterable[str]) -> list[tuple[str, str]]:
    """(state, pt-BR message) for each of ``marts`` a page cannot show: missing, empty or not
    readable. The messages name the mart and the user, never a password."""
    states = mart_states()
    return [(states[mart], MART_MESSAGES[states[mart]].format(mart=mart, user=target()[3]))
            for mart in marts if states[mart] != READY]


# --------------------------------------------------------------------------- filter options
# The sidebar offers what exists: a missing mart gives no options (the pages reading it say why).
def conta_options() -> list[str]:
    """The accounts this user's role may read (row-level security decides): those of its
    developments, else of its sales."""
    for mart in ("empreendimentos", "vendas"):
        if mart_ready(mart):
            return query(f"select distinct conta from marts.{mart} order by 1")["conta"].tolist()
    return []


def readable_contas() -> tuple[str, ...] | None:
    """The accounts row-level security lets this user read in the marts; None when it restricts
    the user to none (no policies yet, an empty mapping, the marts' owner or a superuser)."""
    try:
        if not query("select to_regprocedure('marts.contas_visiveis(name)') is not null as ok")["ok"].iloc[0]:
            return None
        contas = query("""
            select case when r.rolsuper or r.rolbypassrls or exists (
                            select from pg_tables as t
                            where t.schemaname = 'marts' and pg_has_role(r.oid, t.tableowner, 'MEMBER'))
                        then null
                        else marts.contas_visiveis(current_user) end as contas
            from pg_roles as r where r.rolname = current_user""")["contas"].iloc[0]
    except (DataUnavailable, psycopg2.Error):
        return None
    return None if contas is None else tuple(contas)


def development_options(f: Filters) -> pd.DataFrame:
    """(conta, idempreendimento, empreendimento) of the chosen accounts' developments, by name."""
    if not mart_ready("empreendimentos"):
        return pd.DataFrame({"conta": [], "idempreendimento": [], "empreendimento": []})
    return query(f"select conta, idempreendimento, {development_name()} as empreendimento"
                 f" from marts.empreendimentos where {FILTER_CONTAS} order by 3, 1, 2", f.params())


def brokerage_options(f: Filters) -> list[str]:
    """The brokerages of the chosen accounts' sales (one name for all the accounts it sells for)."""
    if not mart_ready("vendas"):
        return []
    df = query("select distinct imobiliaria from marts.vendas where imobiliaria is not null and"
               f" {FILTER_CONTAS} order by 1", f.params())
    return df["imobiliaria"].tolist()


# --------------------------------------------------------------------------- sales
def sales_summary(f: Filters, period: Period | None = None) -> dict[str, float]:
    """Gross sales (by data_venda) and distratos (by data_distrato) in the period."""
    df = query(f"""
        select
            count(*) filter (where data_venda between %(start)s and %(end)s) as vendas_brutas,
            coalesce(sum(valor_contrato) filter (where data_venda between %(start)s and %(end)s), 0)
                as vgv_bruto,
            count(*) filter (where data_distrato between %(start)s and %(end)s) as distratos,
            coalesce(sum(valor_contrato) filter (where data_distrato between %(start)s and %(end)s), 0)
                as vgv_distratos
        from marts.vendas
        where (data_venda between %(start)s and %(end)s or data_distrato between %(start)s and %(end)s)
          and {FILTERS}""", f.params(period))
    row = df.iloc[0].to_dict()
    row["vendas_liquidas"] = row["vendas_brutas"] - row["distratos"]
    row["vgv_liquido"] = row["vgv_bruto"] - row["vgv_distratos"]
    return row


# Sales and distratos as dated events, so that any grouping counts gross, cancelled and net alike.
_EVENTS = f"""
    with eventos as (
        select date_trunc('month', data_venda)::date as mes, conta, idempreendimento,
               empreendimento || {of_account()} as empreendimento, corretor || {of_account()} as corretor,
               imobiliaria, 1 as bruta, 0 as distrato, valor_contrato as vgv_bruto, 0::numeric as vgv_distrato
        from marts.vendas
        where data_venda between %(start)s and %(end)s and {FILTERS}
        union all
        select date_trunc('month', data_distrato)::date, conta, idempreendimento,
               empreendimento || {of_account()}, corretor || {of_account()}, imobiliaria, 0, 1, 0,
               valor_contrato
        from marts.vendas
        where data_distrato between %(start)s and %(end)s and {FILTERS}
    )"""
_EVENT_TOTALS = """
        sum(bruta) as vendas_brutas, sum(distrato) as distratos,
        sum(bruta) - sum(distrato) as vendas_liquidas,
        sum(vgv_bruto) as vgv_bruto, sum(vgv_distrato) as vgv_distratos,
        sum(vgv_bruto) - sum(vgv_distrato) as vgv_liquido"""


def monthly_sales(f: Filters, period: Period | None = None) -> pd.DataFrame:
    """One row per month of the period (months without sales included, as zeros)."""
    p = period or f.period
    df = query(f"{_EVENTS} select mes, {_EVENT_TOTALS} from eventos group by mes order by mes",
               f.params(p))
    months = pd.DataFrame({"mes": month_range(p.first_month, p.last_month)})
    df = months.merge(df, on="mes", how="left").fillna(0)
    return df


# Grouping dimensions of rankings: a fixed list, never a user's text.
RANKING_COLUMNS = {"empreendimento": "empreendimento", "corretor": "corretor", "imobiliaria": "imobiliaria"}


def ranking(f: Filters, by: str, limit: int = 10) -> pd.DataFrame:
    column = RANKING_COLUMNS[by]
    return query(f"""{_EVENTS}
        select coalesce({column}, 'Não informado') as nome, {_EVENT_TOTALS}
        from eventos group by 1 order by vgv_liquido desc, vendas_liquidas desc, nome
        limit %(limit)s""", f.params() | {"limit": limit})


def sales_table(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """The period's latest sales (all of them with ``limit=None``)."""
    return query_rows(f"""
        select data_venda, empreendimento || {of_account()} as empreendimento, unidade, corretor, imobiliaria,
               situacao, valor_contrato, vgv_tabela, is_distrato, data_distrato, idreserva
        from marts.vendas
        where data_venda between %(start)s and %(end)s and {FILTERS}
        order by data_venda desc, idreserva desc, conta
        limit %(limit)s""", f.params(), limit)


# --------------------------------------------------------------------------- VSO
def vso_summary(f: Filters) -> dict[str, float]:
    """VSO of the period over the chosen developments: net sales ÷ (stock at the start of the
    period, or of the development's first month in it, + launches in it). Brokerages do not
    apply: stock belongs to the development."""
    df = query(f"""
        with meses as (
            select *, row_number() over (partition by conta, idempreendimento order by mes) as n
            from marts.vso
            where mes between %(m0)s and %(m1)s and {FILTER_EMPS}
        )
        select coalesce(sum(vendas_liquidas), 0) as vendas_liquidas,
               coalesce(sum(lancamentos), 0) as lancamentos,
               coalesce(sum(estoque_inicial) filter (where n = 1), 0) as estoque_inicial
        from meses""", f.params() | _months(f.period))
    return df.iloc[0].to_dict()


def vso_by_month(f: Filters, months_before: int = 0) -> pd.DataFrame:
    """Stock at the start of the month, launches and net sales of the chosen developments together,
    month by month, for the period (and ``months_before`` months before it)."""
    m0 = add_months(f.period.first_month, -months_before)
    return query(f"""
        select mes, sum(estoque_inicial) as estoque_inicial, sum(lancamentos) as lancamentos,
               sum(vendas_liquidas) as vendas_liquidas
        from marts.vso
        where mes between %(m0)s and %(m1)s and {FILTER_EMPS}
        group by mes order by mes""", f.params() | {"m0": m0, "m1": f.period.last_month})


def vso_top_developments(f: Filters, top: int) -> pd.DataFrame:
    """marts.vso rows of the period for the ``top`` developments with the most net sales in it
    (``posicao`` 1 is the first; ``total`` counts them all), so that a chart stays readable however
    many there are."""
    return query(f"""
        with escolhidos as (
            select conta, idempreendimento, count(*) over () as total,
                   row_number() over (order by sum(vendas_liquidas) desc, conta, idempreendimento) as posicao
            from marts.vso
            where mes between %(m0)s and %(m1)s and {FILTER_EMPS}
            group by conta, idempreendimento
            order by posicao limit %(top)s
        )
        select v.mes, v.conta, v.idempreendimento, e.posicao, e.total,
               {development_name("v")} as empreendimento,
               v.estoque_inicial, v.lancamentos, v.vendas_liquidas, v.vso
        from marts.vso as v
        inner join escolhidos as e using (conta, idempreendimento)
        where v.mes between %(m0)s and %(m1)s
        order by e.posicao, v.mes""", f.params() | _months(f.period) | {"top": top})


def stock_by_development(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """Each development's stock after the period's last month (or its last month with data) and its
    pace, the average net sales of its last 3 months up to then; the ``limit`` with the most stock
    first, each row carrying the count and the stock of all of them (``total``, ``estoque_total``)."""
    return query_rows(f"""
        with recentes as (
            select conta, idempreendimento, empreendimento, vendas_liquidas,
                   estoque_inicial + lancamentos - vendas_liquidas as estoque_final,
                   row_number() over (partition by conta, idempreendimento order by mes desc) as n
            from marts.vso
            where mes between %(m0)s and %(m1)s and {FILTER_EMPS}
        )
        select coalesce(max(empreendimento), 'Empreendimento ' || idempreendimento) || {of_account()}
                   as empreendimento,
               sum(estoque_final) filter (where n = 1) as estoque,
               avg(vendas_liquidas)::float as ritmo,
               count(*) over () as total,
               sum(sum(estoque_final) filter (where n = 1)) over () as estoque_total
        from recentes
        where n <= 3
        group by conta, idempreendimento
        order by estoque desc, empreendimento
        limit %(limit)s""",
        f.params() | {"m0": add_months(f.period.last_month, -2), "m1": f.period.last_month}, limit)


# --------------------------------------------------------------------------- commissions
def commission_summary(f: Filters, period: Period | None = None) -> dict[str, float]:
    df = query(f"""
        select count(*) as comissoes, coalesce(sum(valor_comissao), 0) as valor_comissao,
               coalesce(sum(valor_pago), 0) as valor_pago, coalesce(sum(valor_a_pagar), 0) as valor_a_pagar,
               count(*) filter (where is_anomala) as anomalas
        from marts.comissoes
        where data_venda between %(start)s and %(end)s and {FILTERS}""", f.params(period))
    return df.iloc[0].to_dict()


def commissions_by_situation(f: Filters) -> pd.DataFrame:
    return query(f"""
        select coalesce(situacao, 'Não informada') as situacao, count(*) as comissoes,
               sum(valor_comissao) as valor_comissao, sum(valor_pago) as valor_pago,
               sum(valor_a_pagar) as valor_a_pagar
        from marts.comissoes
        where data_venda between %(start)s and %(end)s and {FILTERS}
        group by 1 order by valor_comissao desc""", f.params())


COMMISSION_RANKING_COLUMNS = {"corretor": f"corretor || {of_account()}", "imobiliaria": "imobiliaria"}


def commission_ranking(f: Filters, by: str, limit: int = 10) -> pd.DataFrame:
    column = COMMISSION_RANKING_COLUMNS[by]
    return query(f"""
        select coalesce({column}, 'Não informado') as nome, count(*) as comissoes,
               sum(valor_comissao) as valor_comissao, sum(valor_pago) as valor_pago,
               sum(valor_a_pagar) as valor_a_pagar
        from marts.comissoes
        where data_venda between %(start)s and %(end)s and {FILTERS}
        group by 1 order by valor_comissao desc, nome limit %(limit)s""", f.params() | {"limit": limit})


def commissions_table(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """The latest commissions of the period's sales (all of them with ``limit=None``)."""
    return query_rows(f"""
        select data_venda, empreendimento || {of_account()} as empreendimento, corretor, imobiliaria,
               situacao, valor_contrato, porcentagem_comissao / 100 as porcentagem_comissao, valor_comissao,
               valor_pago, valor_a_pagar, data_pagamento, is_distrato, idcomissao, idreserva
        from marts.comissoes
        where data_venda between %(start)s and %(end)s and {FILTERS}
        order by data_venda desc, idcomissao desc, conta
        limit %(limit)s""", f.params(), limit)


# --------------------------------------------------------------------------- pró-soluto
# The period's sales with their pró-soluto, and the sums every grouping of them shows.
_PROSOLUTO_SALES = f"""
        from marts.prosoluto as p
        inner join marts.vendas as v using (conta, idreserva)
        where v.data_venda between %(start)s and %(end)s and {FILTERS}"""
_PROSOLUTO_SUMS = """count(*) as vendas, sum(p.valor_contrato) as valor_contrato,
               sum(p.valor_prosoluto) as valor_prosoluto"""
_DEVELOPMENT_NAME = development_name("v")


def prosoluto_by_month(f: Filters) -> pd.DataFrame:
    """Sums of contract and pró-soluto values of the period's sales, per month."""
    return query(f"""
        select date_trunc('month', v.data_venda)::date as mes, {_PROSOLUTO_SUMS}
        {_PROSOLUTO_SALES}
        group by 1 order by 1""", f.params())


def prosoluto_by_development(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """The same sums per development, the largest share of pró-soluto first, ``limit`` of them;
    ``total`` counts them all."""
    return query_rows(f"""
        select {_DEVELOPMENT_NAME} as empreendimento, {_PROSOLUTO_SUMS}, count(*) over () as total
        {_PROSOLUTO_SALES}
        group by v.conta, v.idempreendimento, v.empreendimento
        order by sum(p.valor_prosoluto) / nullif(sum(p.valor_contrato), 0) desc nulls last, 1
        limit %(limit)s""", f.params(), limit)


def prosoluto_top_developments(f: Filters, top: int) -> pd.DataFrame:
    """The sums per month and development, for the ``top`` developments with the largest contract
    value in the period, so that a heat map stays readable however many there are."""
    return query(f"""
        with escolhidos as (
            select v.conta, v.idempreendimento {_PROSOLUTO_SALES}
            group by 1, 2 order by sum(p.valor_contrato) desc, 1, 2 limit %(top)s
        )
        select date_trunc('month', v.data_venda)::date as mes, {_DEVELOPMENT_NAME} as empreendimento,
               {_PROSOLUTO_SUMS}
        {_PROSOLUTO_SALES} and (conta, v.idempreendimento) in (select conta, idempreendimento from escolhidos)
        group by 1, 2 order by 1, 2""", f.params() | {"top": top})


# --------------------------------------------------------------------------- funnel
# A lead belongs to the cohort of the month it arrived in (``mes_coorte``); the funnel of a period
# is that of the cohorts of its months, each lead counted at every stage it has reached (its date
# for the stage is set), whatever the day it got there.
FILTER_COHORTS = "mes_coorte between %(m0)s and %(m1)s"
_FUNNEL_COUNTS = """count(*) as leads, count(data_visita_realizada) as visitas_realizadas,
        count(data_pasta) as pastas, count(data_credito_aprovado) as creditos_aprovados,
        count(data_reserva) as reservas, count(data_venda) as vendas, count(data_distrato) as distratos,
        count(data_repasse_assinado) as repasses_assinados,
        count(data_recurso_liberado) as recursos_liberados"""
_FUNNEL_SUMS = """coalesce(sum(leads), 0) as leads,
        coalesce(sum(visitas_realizadas), 0) as visitas_realizadas,
        coalesce(sum(pastas), 0) as pastas, coalesce(sum(creditos_aprovados), 0) as creditos_aprovados,
        coalesce(sum(reservas), 0) as reservas, coalesce(sum(vendas), 0) as vendas,
        coalesce(sum(distratos), 0) as distratos, coalesce(sum(repasses_assinados), 0) as repasses_assinados,
        coalesce(sum(recursos_liberados), 0) as recursos_liberados"""


def _funnel_source(f: Filters) -> tuple[str, str]:
    """(relation, counts) for stage counts: ``funil_mensal`` (already counted per cohort, development
    and origem) unless brokerages are chosen, which only ``funil``, one row per lead, carries."""
    if f.imobiliarias:
        return f"marts.funil where {FILTER_COHORTS} and {FILTERS}", _FUNNEL_COUNTS
    return f"marts.funil_mensal where {FILTER_COHORTS} and {FILTER_EMPS}", _FUNNEL_SUMS


def funnel_totals(f: Filters) -> dict[str, float]:
    """Leads of the period's cohorts and how many reached each stage."""
    relation, counts = _funnel_source(f)
    return query(f"select {counts} from {relation}", f.params() | _months(f.period)).iloc[0].to_dict()


def funnel_by_cohort(f: Filters) -> pd.DataFrame:
    """The same counts per cohort month (``mes``)."""
    relation, counts = _funnel_source(f)
    return query(f"select mes_coorte as mes, {counts} from {relation} group by 1 order by 1",
                 f.params() | _months(f.period))


# (earlier stage's date, later stage's date) of each step, for the median days between them.
FUNNEL_STEPS = {
    "lead_visita": ("data_cad", "data_visita_realizada"),
    "visita_pasta": ("data_visita_realizada", "data_pasta"),
    "pasta_credito": ("data_pasta", "data_credito_aprovado"),
    "credito_reserva": ("data_credito_aprovado", "data_reserva"),
    "reserva_venda": ("data_reserva", "data_venda"),
    "venda_repasse": ("data_venda", "data_repasse_assinado"),
}
_FUNNEL_MEDIANS = ", ".join(
    f"percentile_cont(0.5) within group (order by {later} - {earlier}) as mediana_dias_{step}"
    for step, (earlier, later) in FUNNEL_STEPS.items())


def funnel_medians(f: Filters) -> dict[str, float | None]:
    """Median days of each step over the leads of the period's cohorts that took it (both dates
    set; a median over several cohorts needs the leads themselves, hence ``funil``)."""
    return query(f"select {_FUNNEL_MEDIANS} from marts.funil where {FILTER_COHORTS} and {FILTERS}",
                 f.params() | _months(f.period)).iloc[0].to_dict()


# Groupings of the per-lead cuts: a fixed list, never a user's text.
FUNNEL_GROUPS = {"origem": "origem", "origem_ultimo": "origem_ultimo", "midia_original": "midia_original",
                 "midia_ultimo": "midia_ultimo"}
_FUNNEL_RATES = """count(data_visita_realizada)::float / count(*) as conv_lead_visita,
        count(data_reserva)::float / count(*) as conv_lead_reserva,
        count(data_venda)::float / count(*) as conv_lead_venda"""


def funnel_by(f: Filters, by: str, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """Stage counts and conversion from the lead, per origem or mídia (first or last), the most
    leads first; ``total`` counts the groups."""
    column = FUNNEL_GROUPS[by]
    return query_rows(f"""
        select coalesce({column}, 'Não informado') as nome, {_FUNNEL_COUNTS}, {_FUNNEL_RATES},
               count(*) over () as total
        from marts.funil
        where {FILTER_COHORTS} and {FILTERS}
        group by 1 order by leads desc, nome
        limit %(limit)s""", f.params() | _months(f.period), limit)


def funnel_by_broker(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """The same per corretor (and the brokerage most of their leads came through)."""
    return query_rows(f"""
        select coalesce(max(corretor), 'Não informado') || {of_account()} as nome,
               coalesce(mode() within group (order by imobiliaria), 'Não informado') as imobiliaria,
               {_FUNNEL_COUNTS}, {_FUNNEL_RATES}, count(*) over () as total
        from marts.funil
        where {FILTER_COHORTS} and {FILTERS}
        group by conta, idcorretor order by leads desc, nome
        limit %(limit)s""", f.params() | _months(f.period), limit)


# --------------------------------------------------------------------------- repasses
# The repasses of the period's sales (by data_venda), of the chosen developments; brokerages do
# not apply (the mart has none).
_REPASSES = f"from marts.repasses where data_venda between %(start)s and %(end)s and {FILTER_EMPS}"


def repasses_summary(f: Filters) -> dict[str, float]:
    return query(f"""
        select count(*) as repasses, count(*) filter (where not is_concluido) as em_aberto,
               count(*) filter (where is_concluido) as concluidos,
               count(*) filter (where not is_concluido and dias_desde_venda > 90) as abertos_90,
               coalesce(sum(valor_a_receber), 0) as valor_a_receber,
               percentile_cont(0.5) within group (order by dias_venda_recurso) as mediana_dias_venda_recurso
        {_REPASSES}""", f.params()).iloc[0].to_dict()


def repasses_pipeline(f: Filters) -> pd.DataFrame:
    """Open repasses (funds not released) per stage, in the seed's order ('Não mapeada' last), and
    aging bucket."""
    return query(f"""
        select etapa, etapa_ordem, coalesce(faixa_aging, 'Sem data da venda') as faixa_aging,
               count(*) as repasses, coalesce(sum(valor_a_receber), 0) as valor_a_receber
        {_REPASSES} and not is_concluido
        group by 1, 2, 3 order by etapa_ordem nulls last, etapa, faixa_aging""", f.params())


def repasses_by_bank(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """Per bank: repasses, those with funds released, the median days sale → signature → funds,
    and what is still to receive; the most repasses first; ``total`` counts the banks."""
    return query_rows(f"""
        select coalesce(banco, 'Não informado') as banco, count(*) as repasses,
               count(*) filter (where is_concluido) as concluidos,
               percentile_cont(0.5) within group (order by dias_venda_assinatura) as mediana_venda_assinatura,
               percentile_cont(0.5) within group (order by dias_assinatura_recurso)
                   as mediana_assinatura_recurso,
               percentile_cont(0.5) within group (order by dias_venda_recurso) as mediana_venda_recurso,
               coalesce(sum(valor_a_receber), 0) as valor_a_receber, count(*) over () as total
        {_REPASSES}
        group by 1 order by repasses desc, banco
        limit %(limit)s""", f.params(), limit)


def repasses_history(f: Filters) -> pd.DataFrame:
    """Repasses and their value per stage on each day the snapshots saw, within the period, but
    the final stages (those whose repasses today all have their funds released: they only ever
    grow); in the order the current repasses give the stages (one no repasse is in today last)."""
    return query(f"""
        with ordem as (
            select etapa, min(etapa_ordem) as etapa_ordem, bool_and(is_concluido) as final
            from marts.repasses where {FILTER_CONTAS} group by etapa
        )
        select h.data, h.etapa, min(o.etapa_ordem) as etapa_ordem, sum(h.repasses) as repasses,
               sum(h.valor_a_receber) as valor_a_receber
        from marts.repasses_historico as h
        left join ordem as o using (etapa)
        where h.data between %(start)s and %(end)s and not coalesce(o.final, false) and {FILTER_CONTAS}
        group by h.data, h.etapa
        order by h.data, 3 nulls last, h.etapa""", f.params())


# --------------------------------------------------------------------------- stock
# Stock is today's (the marts' as-of day); the period applies to its history only, brokerages not.
def stock_summary(f: Filters) -> dict[str, float]:
    return query(f"""
        select count(*) as empreendimentos, coalesce(sum(unidades_estoque), 0) as unidades_estoque,
               coalesce(sum(vgv_estoque), 0) as vgv_estoque,
               coalesce(sum(unidades_disponiveis), 0) as unidades_disponiveis,
               coalesce(sum(vgv_disponivel), 0) as vgv_disponivel,
               coalesce(sum(vendas_liquidas_3m), 0) as vendas_liquidas_3m,
               coalesce(sum(vendas_liquidas_3m), 0) / 3.0 as media_vendas_3m
        from marts.estoque_empreendimentos where {FILTER_EMPS}""", f.params()).iloc[0].to_dict()


def stock_as_of() -> date | None:
    """The day the stock marts describe: the last day of their history (the build's as-of day)."""
    return query("select max(data) as dia from marts.estoque_historico").iloc[0]["dia"]


def stock_developments(f: Filters, limit: int | None = TABLE_ROWS) -> pd.DataFrame:
    """Each development's stock, the most VGV in stock first; ``total`` counts them."""
    return query_rows(f"""
        select {development_name()} as empreendimento, unidades_estoque, vgv_estoque, unidades_disponiveis,
               vgv_disponivel, vendas_liquidas_3m, media_vendas_3m, meses_estoque, count(*) over () as total
        from marts.estoque_empreendimentos where {FILTER_EMPS}
        order by vgv_estoque desc nulls last, empreendimento, conta
        limit %(limit)s""", f.params(), limit)


def stock_by_type(f: Filters) -> pd.DataFrame:
    """Units in stock and available now per tipologia and price band (in the seed's order)."""
    return query(f"""
        select coalesce(tipologia, 'Não informado') as tipologia,
               coalesce(faixa_preco, 'Sem preço de tabela') as faixa_preco, faixa_ordem,
               count(*) filter (where is_em_estoque) as unidades_estoque,
               coalesce(sum(valor_tabela) filter (where is_em_estoque), 0) as vgv_estoque,
               count(valor_tabela) filter (where is_em_estoque) as unidades_com_preco,
               coalesce(sum(area_privativa) filter (where is_em_estoque and valor_tabela is not null), 0)
                   as area_com_preco,
               count(*) filter (where is_disponivel) as unidades_disponiveis
        from marts.estoque
        where (is_em_estoque or is_disponivel) and {FILTER_EMPS}
        group by 1, 2, 3 order by 1, faixa_ordem nulls last""", f.params())


def stock_history(f: Filters, top: int) -> pd.DataFrame:
    """Units available on each day the snapshots saw, within the period, for the ``top``
    developments with the most available on the last of those days and the others together."""
    return query(f"""
        with historico as (
            select data, conta, idempreendimento, unidades_disponiveis from marts.estoque_historico
            where data between %(start)s and %(end)s and {FILTER_EMPS}
        ),
        ordem as (
            select conta, idempreendimento,
                   row_number() over (order by unidades_disponiveis desc, conta, idempreendimento) as posicao
            from historico where data = (select max(data) from historico)
        )
        select h.data,
               case when o.posicao <= %(top)s
                    then coalesce(e.empreendimento, 'Empreendimento ' || h.idempreendimento)
                         || {of_account("h")}
                    else 'Outros empreendimentos' end as empreendimento,
               min(coalesce(o.posicao, %(top)s + 1)) as posicao,
               sum(h.unidades_disponiveis) as unidades_disponiveis
        from historico as h
        left join ordem as o using (conta, idempreendimento)
        left join marts.estoque_empreendimentos as e using (conta, idempreendimento)
        group by 1, 2 order by 1, 3""", f.params() | {"top": top})


# --------------------------------------------------------------------------- targets
def targets(f: Filters, month: date) -> dict[str, float | None]:
    """Targets and realised net sales (units, VGV) of the chosen developments for ``month`` and
    from January to it, summed over the rows that have each target (a development without a VGV
    target adds nothing to the VGV attainment); ``linhas`` counts the month's rows. Brokerages do
    not apply: a target is the development's."""
    jan = month.replace(month=1, day=1)
    return query(f"""
        select count(*) filter (where mes = %(mes)s) as linhas, count(*) as linhas_ano,
               sum(meta_unidades) filter (where mes = %(mes)s) as meta_unidades,
               sum(vendas_liquidas) filter (where mes = %(mes)s and meta_unidades is not null)
                   as vendas_liquidas,
               sum(meta_vgv) filter (where mes = %(mes)s) as meta_vgv,
               sum(vgv_liquido) filter (where mes = %(mes)s and meta_vgv is not null) as vgv_liquido,
               sum(meta_unidades) as meta_unidades_ano,
               sum(vendas_liquidas) filter (where meta_unidades is not null) as vendas_liquidas_ano,
               sum(meta_vgv) as meta_vgv_ano,
               sum(vgv_liquido) filter (where meta_vgv is not null) as vgv_liquido_ano
        from marts.metas
        where mes between %(jan)s and %(mes)s and {FILTER_EMPS}""",
        f.params() | {"mes": month, "jan": jan}).iloc[0].to_dict()


# --------------------------------------------------------------------------- Dados
# Each account's raw schema: raw_<conta> when several accounts load, else raw (the one account);
# and whether this user may read its load log (dlt's _dlt_loads).
_ACCOUNT_SCHEMAS = """
    select c.conta, n.nspname as esquema,
           coalesce(has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(l.oid, 'SELECT'), false)
               as cargas_legiveis
    from unnest(%(contas)s::text[]) as c (conta)
    inner join pg_namespace as n
        on n.nspname = coalesce((select nspname from pg_namespace where nspname = 'raw_' || c.conta), 'raw')
    left join pg_class as l on l.relnamespace = n.oid and l.relname = '_dlt_loads' and l.relkind in ('r', 'p')
    order by 1"""
# Without accounts to go by (no mart to tell them): the raw schemas whose load log this user may read.
_READABLE_SCHEMAS = """
    select case when n.nspname = 'raw' then null else substr(n.nspname, 5) end as conta,
           n.nspname as esquema, true as cargas_legiveis
    from pg_namespace as n
    inner join pg_class as l
        on l.relnamespace = n.oid and l.relname = '_dlt_loads' and l.relkind in ('r', 'p')
    where (n.nspname = 'raw' or n.nspname like 'raw\\_%%')
      and has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(l.oid, 'SELECT')
    order by 2"""
_RAW_SCHEMA_NAME = re.compile(r"^raw(_[a-z][a-z0-9_]*)?$")


def raw_schemas(contas: Iterable[str]) -> pd.DataFrame:
    """(conta, esquema, cargas_legiveis) of these accounts; without accounts, of every raw schema
    whose load log this user may read (so a role sees no other account's raw schema)."""
    contas = list(contas)
    return query(_ACCOUNT_SCHEMAS, {"contas": contas}) if contas else query(_READABLE_SCHEMAS)


def last_loads(schemas: pd.DataFrame, limit: int = 10) -> pd.DataFrame | None:
    """dlt's load log of these raw schemas (``raw_schemas``), newest first: when each load finished
    (status 0 is a completed load). None when this user may read none of them."""
    readable = schemas[schemas["cargas_legiveis"]].drop_duplicates("esquema")
    # The schemas' names, from the catalog and of the loader's form only, are the one part of this
    # text that is not constant; the accounts travel as parameters.
    names = [name for name in readable["esquema"] if _RAW_SCHEMA_NAME.match(name)]
    if not names:
        return None
    contas = dict(zip(readable["esquema"], readable["conta"], strict=True))
    parts = [f"select %(conta_{i})s::text as conta, load_id, schema_name, status, inserted_at"
             f' from "{name}"._dlt_loads' for i, name in enumerate(names)]
    params = {f"conta_{i}": contas[name] for i, name in enumerate(names)} | {"limit": limit}
    return query(" union all ".join(parts) + " order by inserted_at desc limit %(limit)s", params)


def raw_tables(schemas: pd.DataFrame) -> pd.DataFrame:
    """The raw tables of these raw schemas (``raw_schemas``) and their row counts as PostgreSQL's
    statistics estimate them: bounded cost, and readable by a role that cannot read the raw tables
    themselves."""
    return query("""
        select e.conta, c.relname as tabela,
               greatest(coalesce(s.n_live_tup, 0), c.reltuples::bigint, 0) as linhas
        from unnest(%(esquemas)s::text[], %(contas)s::text[]) as e (esquema, conta)
        join pg_namespace as n on n.nspname = e.esquema
        join pg_class as c on c.relnamespace = n.oid
        left join pg_stat_all_tables as s on s.relid = c.oid
        where c.relkind in ('r', 'p') and c.relname not like '\\_dlt\\_%%'
        order by 2, 1""", {"esquemas": schemas["esquema"].tolist(), "contas": schemas["conta"].tolist()})


# Example ids of an anomaly: numeric ids as numbers (9 before 10), then any others as text.
_ID_ORDER = ("case when id_registro ~ '^[0-9]{1,18}$' then id_registro::bigint end nulls last,"
             " id_registro")


def anomalies(contas: Iterable[str] = (), many: bool = False, examples: int = 5) -> pd.DataFrame | None:
    """``marts.anomalias`` (one row per anomaly and record) of ``contas`` (empty: all) by kind (and
    by account when ``many``): its description and CVDW path(s), how many records and the
    first ``examples`` ids. None when the mart does not exist yet; ``DataUnavailable`` when it
    cannot be read or lacks the contract's columns."""
    state = mart_states()["anomalias"]
    if state == MISSING:
        return None
    if state == DENIED:
        raise DataUnavailable(mart_problems(["anomalias"])[0][1])
    try:
        return query(f"""
            select case when %(many)s then conta end as conta, anomalia, min(descricao) as descricao,
                   string_agg(distinct caminho, ', ' order by caminho) as caminho, count(*) as quantidade,
                   (array_agg(id_registro order by {_ID_ORDER}) filter (where id_registro is not null))
                       [1:%(examples)s] as exemplos
            from marts.anomalias
            where {FILTER_CONTAS}
            group by 1, anomalia""", {"contas": list(contas), "many": many, "examples": examples})
    except psycopg2.Error as exc:  # another shape than the contract's
        raise DataUnavailable(
            "O mart `marts.anomalias` não tem as colunas esperadas (conta, anomalia, descricao, caminho, "
            "id_registro): reconstrua os marts com `cvdw-ops run --stages build`."
        ) from exc


def run_history(limit: int = 10) -> pd.DataFrame | None:
    """The last runs from ``ops.runs`` (written by the scheduled job); None when absent or not
    readable."""
    try:
        return query("""
            select run_id, started_at, finished_at, status, exit_code, failed_stage, rows_loaded,
                   requests, tests_passed, tests_warned, tests_failed, error,
                   to_jsonb(r) -> 'accounts' as accounts  -- null also before the column existed
            from ops.runs as r order by started_at desc limit %(limit)s""", {"limit": limit})
    except (DataUnavailable, psycopg2.Error):  # missing, not granted or another shape: the page says so
        return None


def dbt_target_dir() -> Path:
    """dbt's artifacts folder: ``DBT_TARGET_PATH`` (dbt's own variable) or the project's target."""
    configured = os.environ.get("DBT_TARGET_PATH")
    if not configured:
        return PROJECT_DIR / "dbt_project" / "target"
    path = Path(configured)
    return path if path.is_absolute() else PROJECT_DIR / "dbt_project" / path


@dataclass
class DbtResult:
    """The last ``dbt build`` as its ``run_results.json`` tells it."""

    finished_at: datetime | None
    command: str
    counts: dict[str, int] = field(default_factory=dict)  # pass / warn / error / fail / skip
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (status, node, message)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def modified(path: Path) -> int | None:
    """When the file last changed (None when it is missing)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def last_dbt_result(folder: Path | None = None) -> DbtResult | None:
    results = _read_json((folder or dbt_target_dir()) / "run_results.json")
    if not results or "results" not in results:
        return None
    counts: dict[str, int] = {}
    problems = []
    for r in results["results"]:
        status = str(r.get("status"))
        counts[status] = counts.get(status, 0) + 1
        if status in ("warn", "error", "fail"):
            problems.append((status, r.get("unique_id", ""), (r.get("message") or "")[:300]))
    generated = results.get("metadata", {}).get("generated_at")
    finished = datetime.fromisoformat(generated.replace("Z", "+00:00")) if generated else None
    return DbtResult(finished, results.get("args", {}).get("which", ""), counts, problems)


# Every account's freshness checks, as pipelines/ops/transform.py writes them (named again here:
# the dashboard imports nothing that loads dlt).
FRESHNESS_BY_CONTA = "freshness_by_conta.json"


def source_freshness(folder: Path | None = None) -> pd.DataFrame | None:
    """``dbt source freshness`` results: newest load per raw table and status (``empty``: no row to
    date, which dbt calls an error), with its ``conta`` when ``cvdw-ops`` checked each account
    (``freshness_by_conta.json``). A ``sources.json`` newer than that file (``dbt source
    freshness`` run by hand) is one account's: ``conta`` None."""
    folder = folder or dbt_target_dir()
    by_conta, single = folder / FRESHNESS_BY_CONTA, folder / "sources.json"
    if (modified(by_conta) or 0) >= (modified(single) or 0):
        checked = _read_json(by_conta) or {}
    else:
        checked = {None: _read_json(single) or {}}
    rows, moments = [], []
    for conta, sources in checked.items():
        for r in sources.get("results", []):
            loaded = datetime.fromisoformat(r["max_loaded_at"]) if r.get("max_loaded_at") else None
            empty = loaded is not None and loaded.year == 1  # dbt's moment for a table without rows
            rows.append({
                "conta": conta,
                "tabela": r.get("unique_id", "").rsplit(".", 1)[-1],
                "ultima_carga": None if empty else loaded,
                "status": "empty" if empty else r.get("status"),
            })
        if generated := sources.get("metadata", {}).get("generated_at"):
            moments.append(datetime.fromisoformat(generated.replace("Z", "+00:00")))
    if not moments:
        return None
    df = pd.DataFrame(rows).sort_values(["conta", "tabela"]) if rows else pd.DataFrame(rows)
    df.attrs["checked_at"] = max(moments)
    return df


def now() -> datetime:
    return clock.now()
