"""The dbt project on a loaded simulator world: `dbt build` passes, and the marts equal values
computed here, independently, from the simulator's own rows (``World.rows(path)``).

One world is loaded and built once for the module; the last test moves the world forward,
re-loads incrementally, builds again and checks again.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from simulator import World

from .builder import PROJECT_DIR, Built, built_world

SEED, SIZE = 23, 900
# The paths and marts of the funnel, repasses, stock and targets (issue 12).
FUNNEL_PATHS = ("leads", "leads/visitas", "leads/historico/situacoes", "precadastros",
                "precadastro/historico/situacoes", "reservas/registros/flags", "repasses",
                "repasses/historico/situacoes", "unidades/precos")
FUNNEL_MARTS = ("funil", "funil_mensal", "repasses", "estoque", "estoque_empreendimentos", "metas",
                "estoque_historico", "repasses_historico")
# Fields that identify a person: none may reach a staging view (under any name we know).
PERSONAL = {"nome", "email", "telefone", "documento_cliente", "cep_cliente", "renda_familiar",
            "pessoa", "renda_cliente_principal", "cliente", "observacoes"}
SERIE_CLASSES = PROJECT_DIR / "dbt_project/seeds/serie_classes.csv"


# --------------------------------------------------------------------------- independent model
def parse_day(text: str | None) -> date | None:
    """CVDW date text to a date; '', None and zero dates are no date."""
    if not text or text.startswith("0000") or text.startswith("00/"):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"unexpected date text {text!r}")


def cents(value) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def month(day: date) -> date:
    return day.replace(day=1)


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def ratio(num: int, den: int) -> Decimal | None:
    if den <= 0:
        return None
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.000001"), ROUND_HALF_UP)


def normalized(name: str) -> str:
    return name.strip().lower()


def prosoluto_series() -> set[str]:
    """The series the analysts' seed marks pró-soluto (normalized as the model matches them)."""
    with SERIE_CLASSES.open(newline="") as seed:
        return {normalized(r["serie"]) for r in csv.DictReader(seed) if r["classe"] == "prosoluto"}


def active(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("ativo") != "N"]


@dataclass
class Expected:
    """The marts, computed from the world's rows with the issue's definitions."""

    sales: dict[int, dict]
    commissions: dict[int, dict]
    prosoluto: dict[int, int]
    vso: dict[tuple[int, date], tuple]
    developments: dict[int, dict]
    anomalies: dict[str, set[str]]


def sale_id(row: dict) -> int:
    """A sale's reservation, as staging reads it: ``idreserva``, else ``referencia``."""
    return row.get("idreserva") or int(row["referencia"])


def expected_sales(world: World) -> dict[int, dict]:
    """Active reservations with a sale date, and active /vendas rows whose reservation
    /reservas does not list at all (as captures of real accounts hold)."""
    distratos = {sale_id(r): parse_day(r.get("situacao_data")) or parse_day(r.get("data_cad"))
                 for r in active(world.rows("distratos"))}
    reservas = world.rows("reservas")
    listed = {r["idreserva"] for r in reservas}
    sold = [r for r in active(reservas) if parse_day(r.get("data_venda"))]
    sold += [v for v in active(world.rows("vendas"))
             if parse_day(v.get("data_venda")) and sale_id(v) not in listed]
    return {sale_id(r): {
        "data_venda": parse_day(r["data_venda"]), "idempreendimento": r["idempreendimento"],
        "valor_contrato": cents(r["valor_contrato"]), "is_distrato": sale_id(r) in distratos,
        "data_distrato": distratos.get(sale_id(r)),
    } for r in sold}


def expected_anomalies(world: World, sales: dict[int, dict]) -> dict[str, set[str]]:
    comissoes = active(world.rows("comissoes"))
    reservas = {r["idreserva"] for r in world.rows("reservas")}
    listed_sales = {sale_id(v) for v in active(world.rows("vendas"))
                    if parse_day(v.get("data_venda"))}
    money = ("valor_comissao", "valor_pagamento", "valor_comissao_apagar")
    found = {
        "comissao_valor_negativo": {c["idcomissao"] for c in comissoes
                                    if any(Decimal(str(c[k])) < 0 for k in money)},
        "comissao_percentual_fora_da_faixa": {
            c["idcomissao"] for c in comissoes if not 0 <= Decimal(str(c["porcentagem_comissao"])) <= 100},
        "comissao_sem_reserva": {c["idcomissao"] for c in comissoes
                                 if c["idreserva"] not in reservas and c["idreserva"] not in sales},
        "venda_ausente_em_reservas": {i for i in sales if i not in reservas} if reservas else set(),
        "venda_ausente_em_vendas": {i for i in sales if i not in listed_sales} if listed_sales else set(),
        "venda_valor_negativo": {i for i, s in sales.items() if s["valor_contrato"] < 0},
    }
    return {kind: {str(i) for i in ids} for kind, ids in found.items() if ids}


def expected_from(world: World, as_of: date) -> Expected:
    sales = expected_sales(world)
    anomalies = expected_anomalies(world, sales)
    flagged = set().union(*(ids for kind, ids in anomalies.items() if kind.startswith("comissao")))
    commissions = {
        c["idcomissao"]: {"idreserva": c["idreserva"], "valor_comissao": cents(c["valor_comissao"]),
                          "valor_pago": cents(c["valor_pagamento"]),
                          "is_anomala": str(c["idcomissao"]) in flagged}
        for c in active(world.rows("comissoes"))
    }
    pro = prosoluto_series()
    prosoluto = dict.fromkeys(sales, 0)
    for c in active(world.rows("reservas/condicoes")):
        if c.get("serie") and normalized(c["serie"]) in pro and c["idreserva"] in prosoluto:
            prosoluto[c["idreserva"]] += cents(c["valor"])

    # VSO: launches by release month (no date: the development's first month), sales, distratos.
    units = [(u["idempreendimento"], parse_day(u.get("liberar_a_partir")))
             for u in world.rows("unidades")]
    first: dict[int, date] = {}
    for dev, day in [*units, *((s["idempreendimento"], s["data_venda"]) for s in sales.values())]:
        if day is not None:
            first[dev] = min(first.get(dev, month(day)), month(day))
    launches, gross, cancelled = Counter(), Counter(), Counter()
    for dev, day in units:
        if dev in first:
            launches[dev, month(day) if day else first[dev]] += 1
    for s in sales.values():
        gross[s["idempreendimento"], month(s["data_venda"])] += 1
        if s["data_distrato"]:
            cancelled[s["idempreendimento"], month(s["data_distrato"])] += 1
    vso = {}
    for dev, m in first.items():
        stock = 0
        while m <= month(as_of):
            key = (dev, m)
            lanc, brut, dist = launches[key], gross[key], cancelled[key]
            vso[key] = (stock, lanc, brut, dist, brut - dist,
                        ratio(brut - dist, stock + lanc), ratio(brut, stock + lanc))
            stock += lanc - brut + dist
            m = next_month(m)

    developments: dict[int, dict] = defaultdict(lambda: Counter())
    for dev, _ in units:
        developments[dev]["unidades_total"] += 1
    for (dev, m), n in launches.items():
        if m <= month(as_of):
            developments[dev]["unidades_lancadas"] += n
    for s in sales.values():
        d = developments[s["idempreendimento"]]
        d["vendas"] += 1
        d["vgv_bruto"] += s["valor_contrato"]
        if s["is_distrato"]:
            d["distratos"] += 1
            d["vgv_distratos"] += s["valor_contrato"]
    return Expected(sales, commissions, prosoluto, vso, dict(developments), anomalies)


# --------------------------------------------------------------------------- the warehouse
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A fresh database holding one simulator world, loaded by the real pipeline and built."""
    with built_world(SEED, SIZE, tmp_path_factory.mktemp("dbt"), prefix="test_dbt", metas=True) as state:
        yield state


# --------------------------------------------------------------------------- checks
def check_marts(b: Built) -> None:
    exp = expected_from(b.world, b.as_of)

    rows = b.query("select idreserva, data_venda, idempreendimento, (valor_contrato * 100)::bigint,"
                   " is_distrato, data_distrato from marts.vendas")
    got = {r[0]: {"data_venda": r[1], "idempreendimento": r[2], "valor_contrato": r[3],
                  "is_distrato": r[4], "data_distrato": r[5]} for r in rows}
    assert len(rows) == len(got) == len(exp.sales)
    assert got == exp.sales
    assert sum(s["valor_contrato"] for s in got.values()) == sum(
        s["valor_contrato"] for s in exp.sales.values())

    rows = b.query("select idcomissao, idreserva, (valor_comissao * 100)::bigint,"
                   " (valor_pago * 100)::bigint, is_anomala from marts.comissoes")
    got = {r[0]: {"idreserva": r[1], "valor_comissao": r[2], "valor_pago": r[3],
                  "is_anomala": r[4]} for r in rows}
    assert got == exp.commissions
    ids = b.query("select count(*) from marts.comissoes c join marts.vendas v using (idreserva)"
                  " where c.idempreendimento = v.idempreendimento")
    assert ids[0][0] == sum(c["idreserva"] in exp.sales for c in exp.commissions.values())

    rows = b.query("select anomalia, id_registro from marts.anomalias")
    got = defaultdict(set)
    for kind, record in rows:
        got[kind].add(record)
    assert len(rows) == sum(len(ids) for ids in got.values())  # one row per kind and record
    assert dict(got) == exp.anomalies

    rows = b.query("select idreserva, (valor_prosoluto * 100)::bigint from marts.prosoluto")
    assert dict(rows) == exp.prosoluto
    assert sum(v for _, v in rows) == sum(exp.prosoluto.values())

    rows = b.query("select idempreendimento, mes, estoque_inicial, lancamentos, vendas_brutas,"
                   " distratos, vendas_liquidas, vso, vso_bruta from marts.vso")
    got = {(r[0], r[1]): tuple(r[2:]) for r in rows}
    assert len(rows) == len(got)
    assert got.keys() == exp.vso.keys()
    for key, value in exp.vso.items():
        assert got[key] == value, key

    rows = b.query("select idempreendimento, unidades_total, unidades_lancadas,"
                   " unidades_vendidas_brutas, unidades_distratadas, unidades_vendidas,"
                   " unidades_estoque, (vgv_bruto * 100)::bigint, (vgv_distratos * 100)::bigint,"
                   " (vgv_liquido * 100)::bigint from marts.empreendimentos")
    assert {r[0] for r in rows} == set(exp.developments)
    for dev, total, lanc, brut, dist, liq, stock, vgv, vgv_d, vgv_l in rows:
        d = exp.developments[dev]
        assert (total, lanc, brut, dist, liq) == (
            d["unidades_total"], d["unidades_lancadas"], d["vendas"], d["distratos"],
            d["vendas"] - d["distratos"]), dev
        assert stock == d["unidades_lancadas"] - d["vendas"] + d["distratos"], dev
        assert (vgv, vgv_d, vgv_l) == (d["vgv_bruto"], d["vgv_distratos"],
                                       d["vgv_bruto"] - d["vgv_distratos"]), dev


def test_world_has_the_cases_the_marts_must_handle(built: Built):
    exp = expected_from(built.world, built.as_of)
    assert any(s["is_distrato"] for s in exp.sales.values())
    assert any(parse_day(u.get("liberar_a_partir")) is None for u in built.world.rows("unidades"))
    assert any(v[0] + v[1] <= 0 for v in exp.vso.values()) or len(exp.vso) > 12


def test_marts_equal_values_computed_from_the_world(built: Built):
    check_marts(built)


def test_the_world_reaches_every_funnel_stage(built: Built):
    """Otherwise the comparison below proves little."""
    from .expected_funnel import STAGES, expected_funnel, expected_repasses

    funnel = expected_funnel(built.world)
    for stage in STAGES:
        assert any(x[f"data_{stage}"] for x in funnel.values()), stage
    assert sum(x["data_venda"] is not None for x in funnel.values()) < len(funnel) / 2
    repasses = expected_repasses(built.world, built.as_of)
    assert {r["is_concluido"] for r in repasses.values()} == {True, False}
    assert len({r["faixa_aging"] for r in repasses.values()}) >= 3


def test_funnel_repasse_stock_and_target_marts_equal_the_world(built: Built):
    from .expected_funnel import check_funnel_marts  # it imports this module's helpers

    check_funnel_marts(built, built.metas_folder)


def test_build_fills_the_funnel_marts_and_the_snapshots(built: Built):
    world = built.world
    for path in FUNNEL_PATHS:
        assert world.rows(path), path  # the world serves every funnel path, or this proves little
    counts = {m: built.query(f"select count(*) from marts.{m}")[0][0] for m in FUNNEL_MARTS}
    assert counts["funil"] == len(active(world.rows("leads")))
    assert counts["repasses"] == len(active(world.rows("repasses")))
    assert counts["estoque"] == len(world.rows("unidades"))
    assert all(counts.values()), counts
    snapshots = {r[0] for r in built.query(
        "select table_name from information_schema.tables where table_schema = 'snapshots'")}
    assert snapshots == {"snap_unidades", "snap_repasses"}


def test_no_personal_field_reaches_staging(built: Built):
    rows = built.query("select table_name, column_name from information_schema.columns"
                       " where table_schema = 'staging' and table_name like 'stg_cvdw__%'")
    leaked = {(t, c) for t, c in rows if c in PERSONAL or c.startswith("renda")}
    assert not leaked
    tables = {t for t, _ in rows}
    assert {f"stg_cvdw__{p.replace('/', '_')}" for p in FUNNEL_PATHS} <= tables


def test_lead_lists_stay_as_cvdw_text(built: Built):
    """`idlead` lists ("8757, 211964") stay CVDW's text, trimmed; the funnel reads their ids
    (``check_funnel_marts``)."""
    for path, key in (("reservas", "idreserva"), ("precadastros", "idprecadastro")):
        rows = built.query(f"select {key}, idlead from staging.stg_cvdw__{path}")
        served = {r[key]: r.get("idlead") for r in built.world.rows(path)}
        assert len(rows) == len(served), path
        for row, text in rows:
            assert text == (str(served[row]).strip() if served[row] not in (None, "") else None), row
    assert built.query("select count(*) from staging.stg_cvdw__reservas where idlead like '%,%'")[0][0]


def test_vso_is_gap_free_through_the_current_month(built: Built):
    rows = built.query("select idempreendimento, min(mes), max(mes), count(*) from marts.vso"
                       " group by 1")
    assert rows
    for _, first, last, n in rows:
        assert last == month(built.as_of)
        assert n == (last.year - first.year) * 12 + last.month - first.month + 1


def test_staging_cleans_raw_values(built: Built):
    # HTML entities decoded, zero dates gone, S/N and Sim/Não as booleans
    assert not built.query("select 1 from staging.stg_cvdw__reservas where imobiliaria like '%&amp;%'")
    assert built.query("select count(*) from staging.stg_cvdw__reservas where imobiliaria like '%&%'")[0][0]
    flags = dict(built.query("select is_venda, count(*) from staging.stg_cvdw__reservas group by 1"))
    assert flags.get(True) and flags.get(False) and None not in flags  # Sim/Não, never unparsed
    assert not built.query("select 1 from staging.stg_cvdw__comissoes where data_cad is null"
                           " and is_ativo")  # zero dates only on inactive legacy rows
    cols = {r[0] for r in built.query(
        "select column_name from information_schema.columns where table_schema = 'staging'"
        " and table_name = 'stg_cvdw__reservas'")}
    assert not cols & {"cliente", "documento_cliente", "email", "cep_cliente"}


def test_docs_generate(built: Built):
    done = built.dbt("docs", "generate")
    assert done.returncode == 0, done.stdout[-3000:]
    catalog = json.loads((built.target_dir / "catalog.json").read_text())
    manifest = json.loads((built.target_dir / "manifest.json").read_text())
    assert any(k.endswith(".vso") for k in catalog["nodes"])
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["config"]["schema"] == "marts":
            assert node["description"], node["name"]
            for column in node["columns"].values():
                assert column["description"], (node["name"], column["name"])


def test_a_mart_empty_while_its_inputs_have_rows_fails_the_build(built: Built, tmp_path: Path):
    """A bug that empties `vendas` (here: a copy of the project whose model keeps no row) fails
    `dbt build`, naming the mart, instead of leaving the dashboard silently empty."""
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_DIR / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models/marts/vendas.sql"
    model.write_text(model.read_text().replace("    from vendas\n", "    from vendas\n    where false\n"))
    try:
        done = built.dbt("build", "--select", "vendas", project=project)
        assert done.returncode == 1, done.stdout[-3000:]
        assert re.search(r"FAIL \d+ vendas_not_silently_empty", done.stdout), done.stdout[-3000:]
    finally:
        assert built.dbt("build", "--select", "vendas").returncode == 0  # the real mart again
    assert built.query("select count(*) from marts.vendas")[0][0] == len(expected_sales(built.world))


def test_after_the_world_moves_on_reload_and_build_again(built: Built):
    """Runs last: advancing the world changes it for good. A later load and a build on a later
    day: the marts equal the world again, and the snapshots add a version for each unit whose
    availability changed (and each repasse whose situation did)."""
    from .expected_funnel import Day, check_funnel_marts, check_history

    before = built.query("select count(*) from marts.vendas")[0][0]
    first = Day.of(built.world, built.as_of)
    built.world.advance(days=30)
    built.load()
    built.build()
    check_marts(built)
    check_funnel_marts(built, built.metas_folder)
    assert built.query("select count(*) from marts.vendas")[0][0] > before
    check_history(built, first, Day.of(built.world, built.as_of))
