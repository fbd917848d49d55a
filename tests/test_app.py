"""The dashboard with Streamlit's AppTest on a database the suite builds (simulator world → real
load → real ``dbt build``): every page renders, its KPIs equal values computed here from the
marts with SQL (the funnel, repasse, stock and target figures from the simulator's own rows),
filters change the numbers and persist across pages, empty selections show the friendly message,
SQL in a filter value stays data, the password gate and the read-only role work, a missing or
empty mart stops only the pages that read it (and an account without targets gets a note, not
zeros), the Dados page lists the CRM's anomalies.
"""

from __future__ import annotations

import calendar
import json
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pandas as pd
import psycopg2
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.metrics import Period
from dashboard.ui import EMPTY_MESSAGE
from dashboard.views import dados, metas
from pipelines import clock, warehouse
from pipelines.ops import history

from .builder import PROJECT_DIR, Built, admin, built_world
from .expected_funnel import expected_funnel, expected_repasses, expected_stock, expected_targets
from .test_dbt import expected_from

PAGES = ["visao_geral", "vendas", "funil", "vso", "estoque", "repasses", "comissoes", "prosoluto", "dados"]
TODAY = clock.today()
PERIOD = Period(m.add_months(m.month_start(TODAY), -11), TODAY)
NOTHING = Period(date(2001, 1, 1), date(2001, 12, 31))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One world as of today (so the period presets find data), built once for the module, with
    source freshness checked so the Dados page has it."""
    tmp = tmp_path_factory.mktemp("app")
    with built_world(43, 400, tmp, prefix="test_app", now=datetime.combine(TODAY, datetime.min.time())
                     .replace(hour=9), metas=True) as state, pytest.MonkeyPatch.context() as mp:
        assert state.dbt("source", "freshness").returncode == 0
        mp.setenv("DBT_TARGET_PATH", str(state.target_dir))
        yield state


def app(page: str | None = None, period: Period | None = PERIOD, emps: tuple = (), imobs: tuple = (),
        password_hash: str | None = None, preset: str | None = None, contas: tuple = ()) -> AppTest:
    """Run the router (then switch to ``page``) with these filters, from a cold cache."""
    data.refresh()
    at = AppTest.from_file(str(PROJECT_DIR / "streamlit_app.py"), default_timeout=120)
    if password_hash:
        at.secrets["auth"] = {"password_hash": password_hash}
    if period is not None:
        at.session_state["periodo"] = "Personalizado"
        at.session_state["datas"] = (period.start, period.end)
    elif preset:
        at.session_state["periodo"] = preset
    at.session_state["empreendimentos"] = [("default", dev) for dev in emps]  # (conta, id): one account
    at.session_state["imobiliarias"] = list(imobs)
    if contas:
        at.session_state["contas"] = list(contas)
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception[0].message if at.exception else ""
    return at


def cards(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


# --------------------------------------------------------------------------- expected values (SQL)
def where(period: Period, column: str, emps: tuple = (), imobs: tuple = ()) -> tuple[str, tuple]:
    sql, params = f" where {column} between %s and %s", [period.start, period.end]
    if emps:
        sql, params = sql + " and idempreendimento in %s", [*params, tuple(emps)]
    if imobs:
        sql, params = sql + " and imobiliaria in %s", [*params, tuple(imobs)]
    return sql, tuple(params)


def expected_sales(b: Built, period: Period, emps: tuple = (), imobs: tuple = ()) -> dict:
    sql, params = where(period, "data_venda", emps, imobs)
    totals = "select count(*), coalesce(sum(valor_contrato), 0) from marts.vendas"
    gross, vgv = b.query(totals + sql, params)[0]
    sql, params = where(period, "data_distrato", emps, imobs)
    cancelled, vgv_c = b.query(totals + sql, params)[0]
    return {"vendas_brutas": gross, "vgv_bruto": vgv, "distratos": cancelled, "vgv_distratos": vgv_c,
            "vendas_liquidas": gross - cancelled, "vgv_liquido": vgv - vgv_c}


def expected_commissions(b: Built, period: Period, emps: tuple = (), imobs: tuple = ()) -> tuple:
    sql, params = where(period, "data_venda", emps, imobs)
    return b.query("select count(*), coalesce(sum(valor_comissao), 0), coalesce(sum(valor_pago), 0),"
                   " coalesce(sum(valor_a_pagar), 0) from marts.comissoes" + sql, params)[0]


def expected_vso(b: Built, period: Period, emps: tuple = ()) -> float | None:
    """Net sales ÷ (each development's stock at its first month in the period + launches)."""
    sql, params = where(Period(period.first_month, period.last_month), "mes", emps)
    rows = b.query("select idempreendimento, mes, estoque_inicial, lancamentos, vendas_liquidas"
                   " from marts.vso" + sql + " order by mes", params)
    first: dict[int, int] = {}
    for dev, _, stock, _, _ in rows:
        first.setdefault(dev, stock)
    offer = sum(first.values()) + sum(r[3] for r in rows)
    return m.ratio(sum(r[4] for r in rows), offer)


# --------------------------------------------------------------------------- pages
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(built: Built, page: str):
    at = app(page)
    assert at.title and not at.error
    assert at.metric, "every page shows KPI cards"
    assert "Acesso aberto" in " ".join(c.value for c in at.sidebar.caption)


def test_overview_kpis_equal_the_marts(built: Built):
    at = app("visao_geral")
    got = cards(at)
    exp, before = expected_sales(built, PERIOD), expected_sales(built, m.previous_period(PERIOD))
    assert exp["vendas_brutas"] > 0 and exp["distratos"] > 0  # the world has both
    assert got["Vendas brutas"] == fmt.integer(exp["vendas_brutas"])
    assert got["VGV bruto"] == fmt.brl_compact(exp["vgv_bruto"])
    assert got["Vendas líquidas"] == fmt.integer(exp["vendas_liquidas"])
    assert got["VGV líquido"] == fmt.brl_compact(exp["vgv_liquido"])
    assert got["Distratos"] == fmt.integer(exp["distratos"])
    assert got["Taxa de distrato"] == fmt.percent(exp["distratos"] / exp["vendas_brutas"])
    assert got["Ticket médio"] == fmt.brl_compact(exp["vgv_bruto"] / exp["vendas_brutas"])
    assert got["VSO do período"] == fmt.percent(expected_vso(built, PERIOD))
    _, total, paid, to_pay = expected_commissions(built, PERIOD)
    assert (got["Comissões geradas"], got["Comissões pagas"], got["Comissões a pagar"]) == (
        fmt.brl_compact(total), fmt.brl_compact(paid), fmt.brl_compact(to_pay))
    delta = {metric.label: metric.delta for metric in at.metric}
    change = m.change(exp["vendas_brutas"], before["vendas_brutas"])
    assert delta["Vendas brutas"] == fmt.signed_percent(change)
    assert fmt.brl(exp["vgv_bruto"]) in {metric.label: metric.help for metric in at.metric}["VGV bruto"]


def test_vendas_page(built: Built):
    at = app("vendas")
    # The period's last month so far, against the same days a year before.
    month = Period(PERIOD.last_month, PERIOD.end)
    this, last_year = (expected_sales(built, p) for p in (month, same_days_a_year_before(month)))
    got = cards(at)
    assert got["Vendas brutas no mês"] == fmt.integer(this["vendas_brutas"])
    assert got["VGV líquido no mês"] == fmt.brl_compact(this["vgv_liquido"])
    deltas = {metric.label: metric.delta for metric in at.metric}
    assert deltas["Vendas brutas no mês"] == (
        fmt.signed_percent(m.change(this["vendas_brutas"], last_year["vendas_brutas"])) or "")
    count = expected_sales(built, PERIOD)["vendas_brutas"]
    assert count > data.TABLE_ROWS  # the world sells enough for the table to show only the latest
    sales = at.dataframe[-1].value
    latest = built.query("select data_venda from marts.vendas where data_venda between %s and %s"
                         " order by 1 desc limit %s", (PERIOD.start, PERIOD.end, data.TABLE_ROWS))
    shown = sorted((d.date() if isinstance(d, datetime) else d for d in sales["data_venda"]), reverse=True)
    assert shown == [d for (d,) in latest]
    assert f"Vendas do período ({fmt.integer(count)})" in [s.value for s in at.subheader]
    assert f"({data.TABLE_ROWS} de {fmt.integer(count)})" in " ".join(c.value for c in at.caption)
    assert [b.label for b in at.get("download_button")] == ["Baixar CSV", "Baixar Excel"]
    assert len(data.sales_table(data.Filters(PERIOD), limit=None)) == count  # what the CSV writes
    rankings = at.dataframe[0].value
    top = built.query("select empreendimento from marts.vendas where data_venda between %s and %s"
                      " group by 1 order by sum(valor_contrato) desc limit 1", (PERIOD.start, PERIOD.end))
    assert top[0][0] in set(rankings["nome"])


def test_vso_page(built: Built):
    got = cards(app("vso"))
    assert got["VSO do período"] == fmt.percent(expected_vso(built, PERIOD))
    rows = built.query("select sum(lancamentos) from marts.vso where mes between %s and %s",
                       (PERIOD.first_month, PERIOD.last_month))
    assert got["Lançamentos no período"] == fmt.integer(rows[0][0])
    stock = built.query("select sum(estoque_inicial + lancamentos - vendas_liquidas) from marts.vso"
                        " where mes = %s", (PERIOD.last_month,))[0][0]
    assert got["Estoque atual"] == fmt.integer(stock)
    pace = [r[0] for r in built.query("select sum(vendas_liquidas) from marts.vso where mes between %s and %s"
                                      " group by mes order by mes", (m.add_months(PERIOD.last_month, -2),
                                                                     PERIOD.last_month))]
    assert got["Meses de estoque"] == fmt.decimal(m.ratio(stock, sum(pace) / 3))


def test_development_charts_and_tables_are_bounded(built: Built):
    """With many developments, charts take the top ones and tables the first rows, and say of how
    many; the totals still count them all."""
    f = data.Filters(PERIOD)
    by_sales = built.query("select idempreendimento from marts.vso where mes between %s and %s group by 1"
                           " order by sum(vendas_liquidas) desc, 1", (PERIOD.first_month, PERIOD.last_month))
    assert len(by_sales) > 1
    top = data.vso_top_developments(f, top=1)
    assert set(top["idempreendimento"]) == {by_sales[0][0]} and set(top["total"]) == {len(by_sales)}
    stock, everything = data.stock_by_development(f, limit=1), data.stock_by_development(f, limit=None)
    assert len(stock) == 1 and stock["total"].iloc[0] == len(everything) > 1
    assert stock["estoque"].iloc[0] == everything["estoque"].max()
    assert stock["estoque_total"].iloc[0] == everything["estoque"].sum()
    shares = data.prosoluto_by_development(f, limit=None)
    assert len(data.prosoluto_by_development(f, limit=1)) == 1
    assert len(shares) > 1 and set(shares["total"]) == {len(shares)}
    ratios = list(shares["valor_prosoluto"] / shares["valor_contrato"])
    assert ratios == sorted(ratios, reverse=True)


def test_comissoes_page(built: Built):
    count, total, paid, to_pay = expected_commissions(built, PERIOD)
    at = app("comissoes")
    got = cards(at)
    assert count > 0
    assert got["Quantidade de comissões"] == fmt.integer(count)
    assert (got["Comissões geradas"], got["Pagas"], got["A pagar"]) == (
        fmt.brl_compact(total), fmt.brl_compact(paid), fmt.brl_compact(to_pay))
    assert len(at.dataframe[-1].value) == min(count, data.TABLE_ROWS)
    assert len(data.commissions_table(data.Filters(PERIOD), limit=None)) == count  # what the CSV writes


def test_prosoluto_page(built: Built):
    share = built.query("select sum(p.valor_prosoluto) / sum(p.valor_contrato) from marts.prosoluto p"
                        " join marts.vendas v using (idreserva) where v.data_venda between %s and %s",
                        (PERIOD.start, PERIOD.end))[0][0]
    assert cards(app("prosoluto"))["Participação do pró-soluto"] == fmt.percent(share)


def test_dados_page(built: Built):
    at = app("dados")
    got = cards(at)
    last = built.query("select max(inserted_at) from raw._dlt_loads where status = 0")[0][0]
    assert got["Última carga do CVDW"] == fmt.moment(last)
    assert got["Último dbt build"] == "Aprovado"
    assert int(got["Testes aprovados"].replace(".", "")) > 20
    assert "Histórico de execuções indisponível." in infos(at)  # no ops.runs in this database
    tables = at.dataframe[0].value
    assert {"reservas", "comissoes", "unidades"} <= set(tables["tabela"])
    status = dict(zip(tables["tabela"], tables["status"], strict=True))  # from dbt's sources.json
    assert {status[t] for t in ("reservas", "comissoes", "unidades")} == {"Em dia"}


def create_ops_runs(b: Built) -> None:
    """``ops.runs`` exactly as cvdw-ops creates it."""
    b.query(history.DDL)


def test_dados_page_shows_the_run_history(built: Built):
    create_ops_runs(built)
    try:
        built.query("insert into ops.runs (started_at, finished_at, status, exit_code, failed_stage,"
                    " rows_loaded, requests, tests_passed, tests_warned, tests_failed, error) values"
                    " (now() - interval '1 hour', now(), 'failed', 1, 'load', '{\"reservas\": 1234}', 7,"
                    " null, null, null, 'CVDW answered 401: check the token')")
        at = app("dados")
        runs = at.dataframe[-1].value
        assert list(runs["status"]) == ["Falhou"]
        assert list(runs["rows_loaded"]) == ["1.234"]
        assert "Histórico de execuções indisponível." not in infos(at)
    finally:
        built.query("drop schema ops cascade")


# --------------------------------------------------------------------------- funnel, repasses, stock, targets
# Expected from the simulator's own rows with the definitions of tests/expected_funnel.py, which proves
# the marts equal them; here, that the pages show those figures for the filters.
@pytest.fixture(scope="module")
def world_funnel(built: Built) -> dict[int, dict]:
    return expected_funnel(built.world)


def cohort_leads(funnel: dict[int, dict], period: Period, emps: tuple = ()) -> list[dict]:
    return [x for x in funnel.values() if x["mes_coorte"] and period.first_month <= x["mes_coorte"]
            <= period.last_month and (not emps or x["idempreendimento"] in emps)]


def reached(leads: list[dict], stage: str) -> int:
    return sum(x[f"data_{stage}"] is not None for x in leads)


def table(at: AppTest, column: str):
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_funil_page(built: Built, world_funnel: dict):
    leads = cohort_leads(world_funnel, PERIOD)
    sold = reached(leads, "venda")
    assert len(leads) > sold > 0
    at = app("funil")
    got = cards(at)
    assert got["Leads"] == fmt.integer(len(leads))
    assert got["Visitas realizadas"] == fmt.integer(reached(leads, "visita_realizada"))
    assert got["Vendas"] == fmt.integer(sold)
    assert got["Conversão lead → venda"] == fmt.percent(sold / len(leads))
    stages = table(at, "mediana_texto")
    counts = [len(leads), *(reached(leads, s) for s in ("visita_realizada", "pasta", "credito_aprovado",
                                                        "reserva", "venda", "repasse_assinado"))]
    assert list(stages["quantidade"]) == [fmt.integer(n) for n in counts]
    days = [(x["data_visita_realizada"] - x["data_cad"]).days for x in leads if x["data_visita_realizada"]]
    assert stages["mediana_texto"].iloc[1] == fmt.days(statistics.median(days))
    days = [(x["data_venda"] - x["data_reserva"]).days for x in leads
            if x["data_venda"] and x["data_reserva"]]
    assert stages["mediana_texto"].iloc[5] == fmt.days(statistics.median(days))
    by_origin = table(at, "conv_lead_visita")
    origins = {x["origem"] or "Não informado" for x in leads}
    assert set(by_origin["nome"]) == origins
    top = max(origins, key=lambda o: (sum((x["origem"] or "Não informado") == o for x in leads), ""))
    row = by_origin[by_origin["nome"] == top].iloc[0]
    mine = [x for x in leads if (x["origem"] or "Não informado") == top]
    assert (row["leads"], row["vendas"]) == (fmt.integer(len(mine)), fmt.integer(reached(mine, "venda")))
    brokers = built.query("select count(distinct coalesce(idcorretor, -1)) from marts.funil where mes_coorte"
                          " between %s and %s", (PERIOD.first_month, PERIOD.last_month))[0][0]
    assert [b.label for b in at.get("download_button")] == ["Baixar CSV", "Baixar Excel"]
    at.segmented_control(key="funil_grupo").set_value("Corretor").run()
    assert len(table(at, "imobiliaria")) == min(brokers, 20)
    assert len(data.funnel_by_broker(data.Filters(PERIOD), limit=None)) == brokers  # what the downloads hold
    if brokers > 20:
        assert f"(20 de {fmt.integer(brokers)})" in " ".join(c.value for c in at.caption)
    at.segmented_control(key="funil_grupo").set_value("Última mídia").run()
    mart = built.query("select count(distinct coalesce(midia_ultimo, 'Não informado')) from marts.funil"
                       " where mes_coorte between %s and %s", (PERIOD.first_month, PERIOD.last_month))[0][0]
    assert len(table(at, "conv_lead_visita")) == min(mart, 20) and not at.exception


def test_funil_for_one_development_and_one_brokerage(built: Built, world_funnel: dict):
    """A development filters the cohorts' counts (read from funil_mensal); a brokerage, which only
    marts.funil carries, switches the counts to it: both agree with the leads themselves."""
    dev = built.query("select idempreendimento from marts.funil where idempreendimento is not null"
                      " group by 1 order by count(*) limit 1")[0][0]
    leads = cohort_leads(world_funnel, PERIOD, (dev,))
    assert 0 < len(leads) < len(cohort_leads(world_funnel, PERIOD))
    assert cards(app("funil", emps=(dev,)))["Leads"] == fmt.integer(len(leads))
    imob, n, sold = built.query(
        "select imobiliaria, count(*), count(data_venda) from marts.funil where imobiliaria is not null"
        " and mes_coorte between %s and %s group by 1 order by 2 desc limit 1",
        (PERIOD.first_month, PERIOD.last_month))[0]
    got = cards(app("funil", imobs=(imob,)))
    assert (got["Leads"], got["Vendas"]) == (fmt.integer(n), fmt.integer(sold))
    assert n < len(cohort_leads(world_funnel, PERIOD))


def period_repasses(b: Built, period: Period) -> list[dict]:
    """The world's repasses of the period's sales (the sale day is as of − days since the sale)."""
    return [r for r in expected_repasses(b.world, b.as_of).values() if r["dias_desde_venda"] is not None
            and period.start <= b.as_of - timedelta(days=r["dias_desde_venda"]) <= period.end]


def test_repasses_page(built: Built):
    reps = period_repasses(built, PERIOD)
    open_ = [r for r in reps if not r["is_concluido"]]
    done = [r["dias_venda_recurso"] for r in reps if r["is_concluido"]]
    assert open_ and done
    at = app("repasses")
    got = cards(at)
    assert got["Repasses em aberto"] == fmt.integer(len(open_))
    assert got["Valor a receber"] == fmt.brl_compact(sum(r["valor_a_receber"] for r in open_) / 100)
    assert got["Em aberto há mais de 90 dias"] == fmt.integer(sum(r["dias_desde_venda"] > 90 for r in open_))
    assert got["Venda → recurso"] == fmt.days(statistics.median(done))
    pipeline = table(at, "etapa")
    stages = sorted({(r["etapa_ordem"] or 99, r["etapa"]) for r in open_})
    assert list(pipeline["etapa"]) == [etapa for _, etapa in stages]  # in the seed's order
    for etapa, total in zip(pipeline["etapa"], pipeline["repasses"], strict=True):
        assert total == fmt.integer(sum(r["etapa"] == etapa for r in open_)), etapa
    banks = table(at, "banco")
    by_bank = built.query("select coalesce(banco, 'Não informado'), count(*), percentile_cont(0.5)"
                          " within group (order by dias_venda_recurso) from marts.repasses"
                          " where data_venda between %s and %s group by 1", (PERIOD.start, PERIOD.end))
    shown = zip(banks["banco"], banks["repasses"], banks["mediana_venda_recurso"], strict=True)
    assert set(shown) == {(n, fmt.integer(c), fmt.days(d)) for n, c, d in by_bank}
    assert sum(int(c.replace(".", "")) for c in banks["repasses"]) == len(reps)
    assert not at.error and len(at.get("download_button")) == 4


def test_repasses_history_comes_from_the_snapshots(built: Built):
    """The snapshots' days in the period, and on the build's day (as of) the open stages of the
    whole pipeline of that day."""
    at = app("repasses")
    days = [d for (d,) in built.query("select distinct data from marts.repasses_historico where data"
                                      " between %s and %s", (PERIOD.start, PERIOD.end))]
    assert built.as_of in days
    assert any(c.value.startswith(ui.history_note(pd.Series(days))) for c in at.caption)
    history = data.repasses_history(data.Filters(PERIOD))
    today = history[history["data"] == built.as_of]
    everything = expected_repasses(built.world, built.as_of).values()
    open_stages = {r["etapa"] for r in everything if not r["is_concluido"]}
    assert set(today["etapa"]) == open_stages  # the final stage, funds released, left out
    for etapa, n in zip(today["etapa"], today["repasses"], strict=True):
        assert n == sum(r["etapa"] == etapa for r in everything), etapa


def test_estoque_page(built: Built):
    _, devs = expected_stock(built.world, built.as_of)
    stock = sum(d["unidades_estoque"] for d in devs.values())
    net = sum(d["vendas_liquidas_3m"] for d in devs.values())
    at = app("estoque")
    got = cards(at)
    assert got["Unidades em estoque"] == fmt.integer(stock) and stock > 0
    assert got["VGV em estoque"] == fmt.brl_compact(sum(d["vgv_estoque"] for d in devs.values()) / 100)
    assert got["Disponíveis agora"] == fmt.integer(sum(d["unidades_disponiveis"] for d in devs.values()))
    assert got["Meses de estoque"] == fmt.decimal(m.ratio(stock, net / 3))
    by_dev = table(at, "meses_estoque")
    assert len(by_dev) == len(devs)
    units, _ = expected_stock(built.world, built.as_of)
    bands = table(at, "participacao")
    in_stock = [u for u in units.values() if u["is_em_estoque"]]
    for band, n in zip(bands["faixa_preco"], bands["unidades_estoque"], strict=True):
        mine = [u for u in in_stock if (u["faixa_preco"] or "Sem preço de tabela") == band]
        assert n == fmt.integer(len(mine)), band
    history = built.query("select sum(unidades_disponiveis) from marts.estoque_historico where data = %s",
                          (built.as_of,))[0][0]
    assert history == sum(d["unidades_disponiveis"] for d in devs.values())  # today's snapshot
    assert not at.error


def test_estoque_for_one_development(built: Built):
    _, devs = expected_stock(built.world, built.as_of)
    dev = min(devs, key=lambda d: devs[d]["unidades_estoque"])
    got = cards(app("estoque", emps=(dev,)))
    assert got["Unidades em estoque"] == fmt.integer(devs[dev]["unidades_estoque"])
    assert got["Disponíveis agora"] == fmt.integer(devs[dev]["unidades_disponiveis"])


def expected_attainment(b: Built, month: date) -> dict[str, str]:
    """The targets' cards for ``month`` and the year up to it: the targets the build seeded (as
    marts.metas holds them) against the world's net sales."""
    rows = [{"idempreendimento": dev, "mes": mes.isoformat(), "meta_unidades": units, "meta_vgv": vgv}
            for dev, mes, units, vgv in b.query("select idempreendimento, mes, meta_unidades, meta_vgv"
                                                " from marts.metas")]
    targets = {(int(r["idempreendimento"]), date.fromisoformat(r["mes"])): r for r in rows}
    done = expected_targets(b.world, rows)
    month_keys = [k for k in targets if k[1] == month]
    year_keys = [k for k in targets if k[1].year == month.year and k[1] <= month]
    out = {}
    for label, keys in (("mês", month_keys), ("ano", year_keys)):
        units = sum(done[k]["vendas_liquidas"] for k in keys)
        goal = sum(int(targets[k]["meta_unidades"]) for k in keys)
        vgv = sum(done[k]["vgv_liquido"] for k in keys) / 100
        goal_vgv = sum(float(targets[k]["meta_vgv"]) for k in keys)
        out[f"Meta do {label} · unidades"] = (fmt.percent(units / goal),
                                              f"{fmt.integer(units)} de {fmt.integer(goal)} unidades")
        out[f"Meta do {label} · VGV"] = (fmt.percent(vgv / goal_vgv),
                                         f"{fmt.brl_compact(vgv)} de {fmt.brl_compact(goal_vgv)}")
    return out


@pytest.mark.parametrize("page", ["visao_geral", "vendas"])
def test_targets_on_the_sales_pages(built: Built, page: str):
    expected = expected_attainment(built, PERIOD.last_month)
    at = app(page)
    got = {c.label: (c.value, c.delta) for c in at.metric if c.label.startswith("Meta do")}
    assert got == expected
    assert "Metas" in [h.value for h in at.subheader] and not at.error


def test_without_targets_the_sales_pages_say_so(built: Built):
    """An account that set no targets (empty seed, empty mart) gets a note, never 0% attained;
    without the mart at all, a note too; the rest of the page is as before."""
    for empty, note in ((True, metas.NO_TARGETS), (False, missing_message("metas"))):
        with hidden(built, "metas", empty=empty):
            for page in ("visao_geral", "vendas"):
                at = app(page)
                assert note in infos(at), page
                assert not [c for c in at.metric if c.label.startswith("Meta do")], page
                assert at.metric and not at.error and not at.warning, page
    assert metas.NO_TARGETS.startswith("Sem metas cadastradas:") and "metas/metas.csv" in metas.NO_TARGETS


# --------------------------------------------------------------------------- missing or empty marts
# The marts each page reads (the Dados page reads none: raw, ops and dbt's files).
# Visão geral and Vendas read marts.metas too, but without it they go on (a note stands for the
# targets): it is not theirs to require.
READS = {"visao_geral": {"vendas", "comissoes", "vso"}, "vendas": {"vendas"},
         "funil": {"funil", "funil_mensal"}, "vso": {"vso"},
         "estoque": {"estoque", "estoque_empreendimentos", "estoque_historico"},
         "repasses": {"repasses", "repasses_historico"}, "comissoes": {"comissoes"},
         "prosoluto": {"prosoluto", "vendas"}, "dados": set()}


def missing_message(mart: str) -> str:
    return (f"O mart `marts.{mart}` não existe neste banco. Reconstrua os marts com "
            "`cvdw-ops run --stages build` (ou `dbt build` em dbt_project/).")


def empty_message(mart: str) -> str:
    return (f"O mart `marts.{mart}` está vazio neste banco; se o CVDW tem dados, rode a carga e o build: "
            "`cvdw-ops run`.")


def exists(b: Built, relation: str) -> bool:
    return b.query("select to_regclass(%s) is not null", (relation,))[0][0]


@contextmanager
def hidden(b: Built, *marts: str, empty: bool = False) -> Iterator[None]:
    """These marts renamed away (with ``empty``, each replaced by an empty copy) while the block
    runs; then back as they were, with the dashboard's caches cleared."""
    present = [mart for mart in marts if exists(b, f"marts.{mart}")]
    for mart in present:
        b.query(f"alter table marts.{mart} rename to {mart}_hidden")
        if empty:
            b.query(f"create table marts.{mart} (like marts.{mart}_hidden)")
    try:
        data.refresh()
        yield
    finally:
        for mart in present:
            b.query(f"drop table if exists marts.{mart}; alter table marts.{mart}_hidden rename to {mart}")
        data.refresh()


def every_page(visit) -> None:
    """``visit(page, at)`` on each page in turn, in one session (the sidebar runs each time)."""
    at = app()
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception[0].message)
        visit(page, at)


def sidebar_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("empty", [False, True], ids=["missing", "empty"])
@pytest.mark.parametrize("mart", ["vendas", "comissoes", "vso", "prosoluto", "funil", "estoque", "repasses",
                                  "metas"])
def test_a_missing_or_empty_mart_stops_only_the_pages_reading_it(built: Built, mart: str, empty: bool):
    message = (empty_message if empty else missing_message)(mart)

    def visit(page: str, at: AppTest) -> None:
        shown = [w.value for w in at.warning] if empty else [e.value for e in at.error]
        if mart in READS[page]:
            assert at.title and shown == [message] and not at.metric, page
            assert "marts.empreendimentos" not in " ".join(shown)
        else:
            assert at.metric and not at.error and not at.warning, page
        assert at.sidebar.multiselect(key="empreendimentos").options  # the other marts still give options
        brokerages = at.sidebar.multiselect(key="imobiliarias").options
        state = "está vazio" if empty else "não existe neste banco"
        note = f"Sem opções de imobiliárias: o mart `marts.vendas` {state}."
        assert (not brokerages, note in sidebar_captions(at)) == ((mart == "vendas",) * 2)

    with hidden(built, mart, empty=empty):
        every_page(visit)


@pytest.mark.parametrize("empty", [False, True], ids=["missing", "empty"])
def test_the_sidebar_works_without_its_marts(built: Built, empty: bool):
    """marts.empreendimentos gone: every page renders, with no development to choose and a line
    saying why; with marts.vendas gone too, no brokerage either, and the pages reading it say so."""
    state = "está vazio" if empty else "não existe neste banco"
    with hidden(built, "empreendimentos", empty=empty):
        def alone(page: str, at: AppTest) -> None:
            assert at.metric and not at.error and not at.warning, page
            assert at.sidebar.multiselect(key="empreendimentos").options == []
            assert at.sidebar.multiselect(key="imobiliarias").options
            assert (f"Sem opções de empreendimentos: o mart `marts.empreendimentos` {state}."
                    in sidebar_captions(at))
        every_page(alone)

        with hidden(built, "vendas", empty=empty):
            def both(page: str, at: AppTest) -> None:
                assert at.sidebar.multiselect(key="empreendimentos").options == []
                assert at.sidebar.multiselect(key="imobiliarias").options == []
                shown = [w.value for w in at.warning] if empty else [e.value for e in at.error]
                if "vendas" in READS[page]:
                    assert shown == [(empty_message if empty else missing_message)("vendas")], page
                else:
                    assert at.metric and not shown, page
            every_page(both)


def test_a_chosen_development_whose_mart_is_gone(built: Built):
    """A development chosen before marts.empreendimentos went away: no crash; the choice, which the
    sidebar can no longer show, is dropped, and the numbers are those of every development."""
    dev = built.query("select idempreendimento from marts.vendas where data_venda between %s and %s"
                      " group by 1 order by count(*) limit 1", (PERIOD.start, PERIOD.end))[0][0]
    with hidden(built, "empreendimentos"):
        at = app("visao_geral", emps=(dev,))
        assert not at.error and at.sidebar.multiselect(key="empreendimentos").value == []
        assert cards(at)["Vendas brutas"] == fmt.integer(expected_sales(built, PERIOD)["vendas_brutas"])


def test_without_any_mart_only_the_dados_page_shows_data(built: Built):
    built.query("alter schema marts rename to marts_hidden")
    try:
        def visit(page: str, at: AppTest) -> None:
            errors = [e.value for e in at.error]
            assert sorted(errors) == sorted(missing_message(mart) for mart in READS[page]), page
            assert bool(at.metric) == (page == "dados"), page
            if page == "dados":
                assert cards(at)["Último dbt build"] == "Aprovado"
                assert dados.ANOMALIES_LATER in infos(at)
        every_page(visit)
    finally:
        built.query("alter schema marts_hidden rename to marts")
        data.refresh()


# --------------------------------------------------------------------------- anomalies (Dados)
def test_dados_page_without_the_anomalies_mart(built: Built):
    with hidden(built, "anomalias"):
        at = app("dados")
        assert "Anomalias nos dados do CVCRM" in [s.value for s in at.subheader]
        assert dados.ANOMALIES_LATER in infos(at)
        assert not at.error and cards(at)["Último dbt build"] == "Aprovado"  # the rest of the page


@contextmanager
def anomalies_table(b: Built, rows: list[tuple]) -> Iterator[None]:
    """A marts.anomalias of the contract's shape holding ``rows``, in place of the built one."""
    with hidden(b, "anomalias"):
        b.query("create table marts.anomalias (conta text, anomalia text, descricao text, caminho text,"
                " id_registro text, detalhe text)")
        try:
            for row in rows:
                b.query("insert into marts.anomalias values ('default', %s, %s, %s, %s, %s)", row)
            data.refresh()
            yield
        finally:
            b.query("drop table marts.anomalias")


def test_dados_page_lists_the_anomalies_by_kind(built: Built):
    negative = [("comissao_valor_negativo", "Comissão com valor negativo", "comissoes", i, "-10.00")
                for i in ("12", "3", "40", "5", "100", "7", "8")]
    absent = [("venda_ausente_em_reservas", "Venda sem reserva correspondente", "vendas", i, None)
              for i in ("20", "9")]
    with anomalies_table(built, [*absent, *negative]):
        at = app("dados")
        assert not at.error
        table = next(d for d in at.dataframe if "exemplos" in d.value.columns)
        assert table.value.to_dict("records") == [
            {"descricao": "Comissão com valor negativo", "caminho": "comissoes", "quantidade": "7",
             "exemplos": "3, 5, 7, 8, 12"},
            {"descricao": "Venda sem reserva correspondente", "caminho": "vendas", "quantidade": "2",
             "exemplos": "9, 20"},
        ]
        headers = json.loads(table.proto.columns)
        assert [headers[c]["label"] for c in table.value.columns] == [
            "Descrição", "Caminho no CVDW", "Quantidade", "Exemplos"]
        assert dados.ANOMALIES_ABOUT in [c.value for c in at.caption]


def test_dados_page_without_anomalies(built: Built):
    with anomalies_table(built, []):
        at = app("dados")
        assert [s.value for s in at.success] == ["Nenhuma anomalia encontrada nos dados carregados."]
        assert not at.error


# --------------------------------------------------------------------------- filters
def test_filters_change_the_numbers_and_persist_across_pages(built: Built):
    dev = built.query("select idempreendimento from marts.vendas where data_venda between %s and %s"
                      " group by 1 order by count(*) limit 1", (PERIOD.start, PERIOD.end))[0][0]
    one, everything = expected_sales(built, PERIOD, (dev,)), expected_sales(built, PERIOD)
    assert one["vendas_brutas"] != everything["vendas_brutas"]
    at = app("visao_geral", emps=(dev,))
    assert cards(at)["Vendas brutas"] == fmt.integer(one["vendas_brutas"])
    assert cards(at)["VSO do período"] == fmt.percent(expected_vso(built, PERIOD, (dev,)))
    at.switch_page("app_pages/comissoes.py").run()  # the sidebar keeps the development
    assert at.sidebar.multiselect(key="empreendimentos").value == [("default", dev)]
    count = expected_commissions(built, PERIOD, (dev,))[0]
    assert cards(at)["Quantidade de comissões"] == fmt.integer(count)

    imob = built.query("select imobiliaria from marts.vendas where data_venda between %s and %s"
                       " and imobiliaria is not null group by 1 order by count(*) desc limit 1",
                       (PERIOD.start, PERIOD.end))[0][0]
    by_imob = expected_sales(built, PERIOD, imobs=(imob,))
    assert by_imob["vendas_brutas"] != everything["vendas_brutas"]
    assert cards(app("visao_geral", imobs=(imob,)))["Vendas brutas"] == fmt.integer(by_imob["vendas_brutas"])


def test_preset_period_is_the_default(built: Built):
    at = app("visao_geral", period=None)
    assert at.sidebar.selectbox(key="periodo").value == "Últimos 12 meses"
    expected = expected_sales(built, m.preset_period("Últimos 12 meses", TODAY))
    assert cards(at)["Vendas brutas"] == fmt.integer(expected["vendas_brutas"])


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("dados", "estoque")])
def test_a_period_without_data_shows_the_friendly_message(built: Built, page: str):
    at = app(page, period=NOTHING)
    assert EMPTY_MESSAGE in infos(at)
    assert not at.metric and not at.error


def test_stock_is_today_s_whatever_the_period(built: Built):
    """The period only picks the days of the stock's history: one without snapshots says so."""
    at = app("estoque", period=NOTHING)
    assert cards(at)["Unidades em estoque"] == cards(app("estoque"))["Unidades em estoque"]
    assert any(i.startswith("Nenhuma foto do estoque no período") for i in infos(at)) and not at.error


def test_a_selection_without_sales_shows_the_friendly_message(built: Built):
    """A development and a brokerage that both sold, but never together in that month."""
    pairs = built.query("""
        with m as (select date_trunc('month', data_venda)::date as mes, idempreendimento, imobiliaria
                   from marts.vendas where imobiliaria is not null),
             cross_pairs as (select a.mes, a.idempreendimento, b.imobiliaria from m a join m b using (mes))
        select mes, idempreendimento, imobiliaria from cross_pairs
        except select date_trunc('month', data_venda)::date, idempreendimento, imobiliaria from marts.vendas
        except select date_trunc('month', data_distrato)::date, idempreendimento, imobiliaria
               from marts.vendas
        order by 1 desc limit 1""")
    month, dev, imob = pairs[0]
    at = app("vendas", period=Period(month, m.month_end(month)), emps=(dev,), imobs=(imob,))
    assert EMPTY_MESSAGE in infos(at) and not at.metric


def test_sql_in_a_filter_value_stays_data(built: Built):
    evil = "Imob'); drop table marts.vendas; --"
    victim = built.query("select imobiliaria from marts.vendas where data_venda between %s and %s and"
                         " imobiliaria is not null group by 1 order by 1 limit 1",
                         (PERIOD.start, PERIOD.end))[0][0]
    for table in ("vendas", "comissoes"):
        built.query(f"update marts.{table} set imobiliaria = %s where imobiliaria = %s", (evil, victim))
    expected = expected_sales(built, PERIOD, imobs=(evil,))
    assert expected["vendas_brutas"] > 0
    at = app("visao_geral", imobs=(evil,))
    assert cards(at)["Vendas brutas"] == fmt.integer(expected["vendas_brutas"])
    at.switch_page("app_pages/vendas.py").run()
    assert not at.exception
    # A value the database has never seen, straight into the data layer: no rows, no SQL.
    hostile = ("x' or '1'='1", "'; drop schema marts cascade; --")
    summary = data.sales_summary(data.Filters(PERIOD, (), hostile))
    assert summary["vendas_brutas"] == 0
    assert built.query("select count(*) from marts.vendas")[0][0] > 0
    assert built.query("select to_regclass('marts.vendas') is not null")[0][0]


# --------------------------------------------------------------------------- one clock, any day
def day_of(d: date, year: int, month: int) -> date:
    """Day ``d.day`` of that month; a month's last day stays the last day (31/01 → 28/02)."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if d.day == calendar.monthrange(d.year, d.month)[1] else min(d.day, last))


def comparisons(today: date) -> tuple[Period, Period, Period]:
    """This month so far, the same days of the month before, the same days a year before."""
    start = today.replace(day=1)
    before = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    return (Period(start, today), Period(before, day_of(today, before.year, before.month)),
            Period(start.replace(year=today.year - 1), day_of(today, today.year - 1, today.month)))


def same_days_a_year_before(p: Period) -> Period:
    return comparisons(p.end)[2]


# Written out by hand for the days that broke or could break: the 1st compares one day with one day,
# a month's last day compares whole months, 1 January looks back into December, 29 February into a
# February of 28 days; each is a day on which the test world sold. The real day the suite runs is
# checked too, by the rule above.
PINNED_DAYS = {
    date(2025, 12, 1): (Period(date(2025, 12, 1), date(2025, 12, 1)),
                        Period(date(2025, 11, 1), date(2025, 11, 1)),
                        Period(date(2024, 12, 1), date(2024, 12, 1))),
    date(2026, 10, 31): (Period(date(2026, 10, 1), date(2026, 10, 31)),
                         Period(date(2026, 9, 1), date(2026, 9, 30)),
                         Period(date(2025, 10, 1), date(2025, 10, 31))),
    date(2025, 1, 1): (Period(date(2025, 1, 1), date(2025, 1, 1)),
                       Period(date(2024, 12, 1), date(2024, 12, 1)),
                       Period(date(2024, 1, 1), date(2024, 1, 1))),
    date(2024, 2, 29): (Period(date(2024, 2, 1), date(2024, 2, 29)),
                        Period(date(2024, 1, 1), date(2024, 1, 31)),
                        Period(date(2023, 2, 1), date(2023, 2, 28))),
}


def world_sales(b: Built, period: Period) -> tuple[int, int]:
    """Sales and distratos in the period, counted in Python from the simulator's own rows."""
    sales = expected_from(b.world, b.as_of).sales.values()
    gross = sum(period.start <= s["data_venda"] <= period.end for s in sales)
    cancelled = sum(s["data_distrato"] is not None and period.start <= s["data_distrato"] <= period.end
                    for s in sales)
    return gross, cancelled


def delta(now: int, before: int) -> str:
    return fmt.signed_percent(None if before == 0 else (now - before) / before) or ""


@pytest.mark.parametrize("today", [*PINNED_DAYS, "the real today"])
def test_this_month_compares_the_right_days_on_any_day(built: Built, monkeypatch: pytest.MonkeyPatch,
                                                      today: date | str):
    """With the clock pinned to a day, "Este mês" is that month so far; Visão geral compares it
    with the same days of the month before, Vendas with the same days a year before."""
    fixed = today in PINNED_DAYS
    if fixed:
        monkeypatch.setenv("CVDW_NOW", f"{today.isoformat()}T12:00:00")
        this, before, last_year = PINNED_DAYS[today]
    else:
        monkeypatch.delenv("CVDW_NOW")
        today = clock.today()
        this, before, last_year = comparisons(today)
    assert comparisons(today) == (this, before, last_year)  # the rule agrees with the hand-written days
    (gross, cancelled), (gross_before, _), (gross_ly, _) = (world_sales(built, p)
                                                            for p in (this, before, last_year))
    overview, sales = (app(page, period=None, preset="Este mês") for page in ("visao_geral", "vendas"))
    assert fmt.period(this.start, this.end) in [c.value for c in overview.sidebar.caption]
    compared = f"comparado com {fmt.period(before.start, before.end)}"
    assert compared in " ".join(c.value for c in overview.caption)
    if not (gross or cancelled):
        assert not fixed, f"the test world sold nothing on {today}: pin a day on which it did"
        assert EMPTY_MESSAGE in infos(overview) and EMPTY_MESSAGE in infos(sales)  # past the world's end
        return
    assert cards(overview)["Vendas brutas"] == fmt.integer(gross)
    assert cards(overview)["Vendas líquidas"] == fmt.integer(gross - cancelled)
    assert {c.label: c.delta for c in overview.metric}["Vendas brutas"] == delta(gross, gross_before)
    month = {c.label: c for c in sales.metric}["Vendas brutas no mês"]
    assert (month.value, month.delta) == (fmt.integer(gross), delta(gross, gross_ly))
    assert f"De {fmt.period(last_year.start, last_year.end)}: {fmt.integer(gross_ly)}." == month.help


# --------------------------------------------------------------------------- access
def test_password_gate(built: Built):
    stored = auth.hash_password("segredo-do-painel", iterations=1_000)
    at = app(password_hash=stored)
    assert not at.metric and at.text_input  # only the login form
    at.text_input[0].input("errada")
    at.button[0].click().run()
    assert "Senha incorreta. Tente de novo." in [e.value for e in at.error] and not at.metric
    at.text_input[0].input("segredo-do-painel")
    at.button[0].click().run()
    assert not at.exception and cards(at)["Vendas brutas"]
    assert "segredo-do-painel" not in repr(at.session_state)


def readme_role_recipe(role: str) -> str:
    """The SQL block of the README's read-only role section, for a role of our own."""
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme[readme.index("### The read-only role"):]
    sql = section[section.index("```sql") + 6:section.index("```", section.index("```sql") + 6)]
    assert "grant select on all tables in schema marts" in sql
    return sql.replace("dashboard_reader", role)


def test_the_app_works_with_the_read_only_role(built: Built, monkeypatch: pytest.MonkeyPatch):
    """The README's recipe, as written: USAGE + SELECT on marts, ops.runs and raw._dlt_loads."""
    role = f"painel_{uuid.uuid4().hex[:8]}"
    create_ops_runs(built)
    built.query(readme_role_recipe(role))
    built.query("create table marts.zz_rebuilt as select 1 as a")  # as dbt re-creates a mart
    try:
        p = warehouse.connection_params()
        for key, value in {"PGHOST": p["host"], "PGPORT": p["port"], "PGUSER": role,
                           "PGPASSWORD": "change-me", "PGSSLMODE": "disable"}.items():
            monkeypatch.setenv(key, value)
        with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
            cur.execute("select a from marts.zz_rebuilt")  # the default privilege covers new tables
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("select 1 from raw.reservas limit 1")
        for page in PAGES:
            at = app(page)
            assert at.metric and not at.error, page
        assert "Histórico de execuções indisponível." not in infos(at)  # ops.runs is readable
        assert cards(app("visao_geral"))["Vendas brutas"] == fmt.integer(
            expected_sales(built, PERIOD)["vendas_brutas"])
        conn = psycopg2.connect(**p)  # as the owner: one mart this role may no longer read
        with conn, conn.cursor() as cur:
            cur.execute(f"revoke select on marts.comissoes from {role}")
        conn.close()
        denied = (f"O usuário {role} não tem permissão de leitura no mart `marts.comissoes`: conceda "
                  "USAGE e SELECT no schema marts (veja o README).")
        for page in PAGES:
            at = app(page)
            assert [e.value for e in at.error] == ([denied] if "comissoes" in READS[page] else []), page
    finally:
        monkeypatch.undo()  # back to the owner for the clean-up
        built.query("drop table marts.zz_rebuilt; drop schema ops cascade")
        built.query(f"drop owned by {role}")
        admin(f"drop role {role}")


def test_an_unreachable_database_is_one_line_without_secrets(built: Built, monkeypatch: pytest.MonkeyPatch):
    for key, value in {"PGHOST": "127.0.0.1", "PGPORT": "1", "PGUSER": "painel",
                       "PGPASSWORD": "senha-que-nao-aparece"}.items():
        monkeypatch.setenv(key, value)
    at = app("vendas")
    assert len(at.error) == 1 and "Não foi possível conectar" in at.error[0].value
    assert "senha-que-nao-aparece" not in at.error[0].value and not at.metric
