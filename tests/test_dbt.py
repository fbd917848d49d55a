"""The dbt project on a loaded simulator world: `dbt build` passes, and the marts equal values
computed here, independently, from the simulator's own rows (``World.rows(path)``).

One world is loaded and built once for the module; the last test moves the world forward,
re-loads incrementally, builds again and checks again.
"""

from __future__ import annotations

import json
import subprocess
import sys
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
# Series the seed `serie_classes` marks as pró-soluto, among those the simulator writes.
PROSOLUTO = {"Ato", "Sinal", "Mensais", "Intermediárias", "Chaves"}


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


@dataclass
class Expected:
    """The marts, computed from the world's rows with the issue's definitions."""

    sales: dict[int, dict]
    commissions: dict[int, dict]
    prosoluto: dict[int, int]
    vso: dict[tuple[int, date], tuple]
    developments: dict[int, dict]


def expected_from(world: World, as_of: date) -> Expected:
    distratos = {r["idreserva"]: parse_day(r["situacao_data"]) or parse_day(r["data_cad"])
                 for r in world.rows("distratos") if r.get("ativo") != "N"}
    sales = {}
    for r in world.rows("reservas"):
        day = parse_day(r.get("data_venda"))
        if r.get("ativo") == "N" or day is None:
            continue
        sales[r["idreserva"]] = {
            "data_venda": day, "idempreendimento": r["idempreendimento"],
            "valor_contrato": cents(r["valor_contrato"]),
            "is_distrato": r["idreserva"] in distratos,
            "data_distrato": distratos.get(r["idreserva"]),
        }
    commissions = {
        c["idcomissao"]: {"idreserva": c["idreserva"], "valor_comissao": cents(c["valor_comissao"]),
                          "valor_pago": cents(c["valor_pagamento"])}
        for c in world.rows("comissoes") if c.get("ativo") != "N"
    }
    prosoluto = dict.fromkeys(sales, 0)
    for c in world.rows("reservas/condicoes"):
        if c.get("ativo") != "N" and c["serie"] in PROSOLUTO and c["idreserva"] in prosoluto:
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
    return Expected(sales, commissions, prosoluto, vso, dict(developments))


# --------------------------------------------------------------------------- the warehouse
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A fresh database holding one simulator world, loaded by the real pipeline and built."""
    with built_world(SEED, SIZE, tmp_path_factory.mktemp("dbt"), prefix="test_dbt") as state:
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
                   " (valor_pago * 100)::bigint from marts.comissoes")
    got = {r[0]: {"idreserva": r[1], "valor_comissao": r[2], "valor_pago": r[3]} for r in rows}
    assert got == exp.commissions
    ids = b.query("select count(*) from marts.comissoes c join marts.vendas v using (idreserva)"
                  " where c.idempreendimento = v.idempreendimento")
    assert ids[0][0] == len(exp.commissions)

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


def test_vso_is_gap_free_through_the_current_month(built: Built):
    rows = built.query("select idempreendimento, min(mes), max(mes), count(*) from marts.vso"
                       " group by 1")
    assert rows
    for _, first, last, n in rows:
        assert last == month(built.as_of)
        assert n == (last.year - first.year) * 12 + last.month - first.month + 1


def test_staging_cleans_raw_values(built: Built):
    # HTML entities decoded, zero dates gone, S/N and Sim/Não as booleans, idlead lists split
    assert not built.query("select 1 from staging.stg_cvdw__reservas where imobiliaria like '%&amp;%'")
    assert built.query("select count(*) from staging.stg_cvdw__reservas where imobiliaria like '%&%'")[0][0]
    assert built.query("select count(*) > count(distinct idreserva)"
                       " from staging.int_reservas_leads")[0][0]
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


def test_after_the_world_moves_on_reload_and_build_again(built: Built):
    """Runs last: advancing the world changes it for good."""
    before = built.query("select count(*) from marts.vendas")[0][0]
    built.world.advance(days=30)
    built.load()
    built.build()
    check_marts(built)
    assert built.query("select count(*) from marts.vendas")[0][0] > before


def test_sql_style_is_clean():
    done = subprocess.run([str(Path(sys.executable).parent / "sqlfluff"), "lint", "dbt_project/models"],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
