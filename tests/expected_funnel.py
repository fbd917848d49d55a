"""The funnel, repasse, stock and target marts as computed here, in Python, from the simulator's
own rows (``World.rows(path)``, as the API serves them) and the analysts' seeds, to the unit and
the cent; ``check_funnel_marts`` compares them with the warehouse. tests/test_dbt.py runs it on
a world with targets (before and after the world moves on), tests/test_profiles.py on every
account profile, tests/test_app.py reads the pages' figures from it."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from statistics import median

from simulator import World

from .builder import PROJECT_DIR, Built
from .test_dbt import active, cents, expected_sales, month, normalized, parse_day, ratio

SEEDS = PROJECT_DIR / "dbt_project/seeds"
STAGES = ("visita_realizada", "pasta", "credito_aprovado", "reserva", "venda", "distrato",
          "repasse_assinado", "recurso_liberado")
FUNNEL = ("lead", "visita_realizada", "pasta", "credito_aprovado", "reserva", "venda",
          "repasse_assinado")
MEDIANS = {"lead_visita": ("data_cad", "data_visita_realizada"),
           "visita_pasta": ("data_visita_realizada", "data_pasta"),
           "pasta_credito": ("data_pasta", "data_credito_aprovado"),
           "credito_reserva": ("data_credito_aprovado", "data_reserva"),
           "reserva_venda": ("data_reserva", "data_venda"),
           "venda_repasse": ("data_venda", "data_repasse_assinado")}
AGING = ((30, "0 a 30 dias"), (60, "31 a 60 dias"), (90, "61 a 90 dias"), (180, "91 a 180 dias"))


def seed(name: str, folder: Path = SEEDS) -> list[dict]:
    with (folder / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def ids(text) -> set[int]:
    """An id list as CVDW sends it ("8757, 211964"), or one id."""
    return {int(x) for x in str(text).split(",") if x.strip()} if text not in (None, "") else set()


def earliest(*days: date | None) -> date | None:
    present = [d for d in days if d is not None]
    return min(present) if present else None


def first_by(pairs) -> dict:
    """key -> earliest day, over (key, day) pairs with a day."""
    out: dict = {}
    for key, day in pairs:
        if day is not None and (key not in out or day < out[key]):
            out[key] = day
    return out


# --------------------------------------------------------------------------- funil
def stage_of() -> dict[tuple[str, str], str]:
    return {(r["caminho"], normalized(r["situacao"])): r["etapa"] for r in seed("funil_situacoes.csv")}


def history_stages(rows: list[dict], key: str, caminho: str) -> dict[tuple[int, str], date]:
    """(entity, stage) -> earliest history entry into a situation the seed maps to that stage."""
    stages = stage_of()
    return first_by(((r[key], stages.get((caminho, normalized(r.get("para_nome") or "")))),
                     parse_day(r.get("data_cad"))) for r in active(rows))


def expected_funnel(world: World) -> dict[int, dict]:
    lead_hist = history_stages(world.rows("leads/historico/situacoes"), "idlead", "leads")
    pasta_hist = history_stages(world.rows("precadastro/historico/situacoes"), "idprecadastro",
                                "precadastros")
    visits = first_by((v["idlead"], parse_day(v.get("data_conclusao")))
                      for v in active(world.rows("leads/visitas")))
    pastas_of: dict[int, set[int]] = defaultdict(set)
    pasta_day: dict[int, date | None] = {}
    for p in active(world.rows("precadastros")):
        pasta_day[p["idprecadastro"]] = parse_day(p.get("data_cad"))
        for lead in ids(p.get("idlead")):
            pastas_of[lead].add(p["idprecadastro"])
    reservations_of: dict[int, set[int]] = defaultdict(set)
    reservation_day: dict[int, date | None] = {}
    for r in active(world.rows("reservas")):
        reservation_day[r["idreserva"]] = parse_day(r.get("data_cad"))
        for lead in ids(r.get("idlead")):
            reservations_of[lead].add(r["idreserva"])
    for v in active(world.rows("vendas")):
        for lead in ids(v.get("idlead")):
            reservations_of[lead].add(v.get("idreserva") or int(v["referencia"]))
    sales = expected_sales(world)
    repasses: dict[int, list[dict]] = defaultdict(list)
    for rep in active(world.rows("repasses")):
        repasses[rep["idreserva"]].append(rep)

    out = {}
    for ld in active(world.rows("leads")):
        lead = ld["idlead"]
        pastas, res = pastas_of[lead], reservations_of[lead]
        reps = [rep for r in res for rep in repasses[r]]
        own = {stage: lead_hist.get((lead, stage)) for stage in ("visita_realizada", "pasta",
                                                                 "credito_aprovado", "reserva", "venda")}
        day = parse_day(ld.get("data_cad"))
        out[lead] = {
            "data_cad": day, "mes_coorte": month(day) if day else None,
            "origem": ld.get("origem") or None, "midia_original": ld.get("midia_original") or None,
            "idempreendimento": int(ld["idempreendimento"]) if ld.get("idempreendimento") else None,
            "idcorretor": ld.get("idcorretor"),
            "data_visita_realizada": earliest(visits.get(lead), own["visita_realizada"]),
            "data_pasta": earliest(*(pasta_day.get(p) for p in pastas), own["pasta"]),
            "data_credito_aprovado": earliest(*(pasta_hist.get((p, "credito_aprovado")) for p in pastas),
                                              own["credito_aprovado"]),
            "data_reserva": earliest(*(reservation_day.get(r) for r in res), own["reserva"]),
            "data_venda": earliest(*(sales[r]["data_venda"] for r in res if r in sales), own["venda"]),
            "data_distrato": earliest(*(sales[r]["data_distrato"] for r in res if r in sales)),
            "data_repasse_assinado": earliest(*(parse_day(x.get("data_assinatura_de_contrato"))
                                                for x in reps)),
            "data_recurso_liberado": earliest(*(parse_day(x.get("data_recurso_liberado")) for x in reps)),
        }
    return out


def expected_funnel_monthly(funnel: dict[int, dict]) -> dict[tuple, dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for lead in funnel.values():
        groups[lead["mes_coorte"], lead["idempreendimento"], lead["origem"] or "Não informado"].append(lead)
    out = {}
    for key, leads in groups.items():
        counts = {"lead": len(leads)} | {s: sum(x[f"data_{s}"] is not None for x in leads) for s in STAGES}
        steps = zip(FUNNEL, FUNNEL[1:], strict=False)  # in the order of the conv_* columns
        conv = [ratio(counts[nxt], counts[prev]) for prev, nxt in steps]
        medians = {}
        for name, (a, b) in MEDIANS.items():
            days = [(x[b] - x[a]).days for x in leads if x[a] and x[b]]
            medians[name] = median(days) if days else None
        out[key] = {"counts": counts, "conv": conv, "medians": medians}
    return out


# --------------------------------------------------------------------------- repasses
def expected_repasses(world: World, as_of: date) -> dict[int, dict]:
    stages = {normalized(r["situacao"]): (int(r["ordem"]), r["etapa"]) for r in seed("repasse_etapas.csv")}
    latest: dict[tuple, date] = {}
    for h in active(world.rows("repasses/historico/situacoes")):
        key, day = (h["idrepasse"], normalized(h.get("para_nome") or "")), parse_day(h.get("data_cad"))
        if day and (key not in latest or day > latest[key]):
            latest[key] = day
    out = {}
    for rep in active(world.rows("repasses")):
        sit = normalized(rep.get("situacao") or "")
        ordem, etapa = stages.get(sit, (None, "Não mapeada"))
        venda = parse_day(rep.get("data_venda"))
        assinatura = parse_day(rep.get("data_assinatura_de_contrato"))
        recurso = parse_day(rep.get("data_recurso_liberado"))
        current = latest.get((rep["idrepasse"], sit)) or parse_day(rep.get("data_alteracao_status"))
        money = [cents(rep.get(k) or 0) for k in ("valor_financiado", "valor_fgts", "valor_subsidio")]
        since_sale = (as_of - venda).days if venda else None
        out[rep["idrepasse"]] = {
            "etapa": etapa, "etapa_ordem": ordem,
            "dias_desde_venda": since_sale,
            "dias_na_etapa": (as_of - current).days if current else None,
            "dias_venda_recurso": (recurso - venda).days if recurso and venda else None,
            "dias_venda_assinatura": (assinatura - venda).days if assinatura and venda else None,
            "faixa_aging": None if since_sale is None else next(
                (label for top, label in AGING if since_sale <= top), "Mais de 180 dias"),
            "valor_a_receber": 0 if recurso else sum(money),
            "is_concluido": recurso is not None,
        }
    return out


# --------------------------------------------------------------------------- estoque
def price_in_force(world: World, as_of: date) -> dict[str, tuple[int, int]]:
    """idunidade -> (idtabela, price in cents) of the table in force on ``as_of``."""
    best: dict[str, tuple] = {}
    for p in active(world.rows("unidades/precos")):
        start, end = parse_day(p.get("data_vigencia_de")), parse_day(p.get("data_vigencia_ate"))
        in_force = start is not None and start <= as_of and (end is None or as_of <= end)
        if not in_force or p.get("valor") in (None, ""):
            continue
        unit, rank = str(p["idunidade"]), (-start.toordinal(), p["idtabela"])
        if unit not in best or rank < best[unit][0]:
            best[unit] = (rank, p["idtabela"], cents(p["valor"]))
    return {unit: (table, price) for unit, (_, table, price) in best.items()}


def band(price: int | None) -> str | None:
    if price is None:
        return None
    for row in seed("faixas_preco.csv"):
        low = cents(row["valor_de"]) if row["valor_de"] else None
        high = cents(row["valor_ate"]) if row["valor_ate"] else None
        if (low is None or price >= low) and (high is None or price < high):
            return row["faixa"]
    return None


def expected_stock(world: World, as_of: date) -> tuple[dict[str, dict], dict[int, dict]]:
    sales = expected_sales(world)
    unit_of = {r["idreserva"]: str(r["idunidade"]) for r in world.rows("reservas") if r.get("idunidade")}
    unit_of |= {v.get("idreserva") or int(v["referencia"]): str(v["idunidade"])
                for v in world.rows("vendas") if v.get("idunidade")}
    net_sold = {unit_of.get(i) for i, s in sales.items() if not s["is_distrato"]}
    first: dict[int, date] = {}
    units = world.rows("unidades")
    for dev, day in [*((u["idempreendimento"], parse_day(u.get("liberar_a_partir"))) for u in units),
                     *((s["idempreendimento"], s["data_venda"]) for s in sales.values())]:
        if day is not None:
            first[dev] = min(first.get(dev, month(day)), month(day))
    prices = price_in_force(world, as_of)
    per_unit = {}
    for u in units:
        unit, day = str(u["idunidade"]), parse_day(u.get("liberar_a_partir"))
        launched = month(day) if day else first.get(u["idempreendimento"])
        fallback = cents(u["valor"]) if u.get("valor") not in (None, "") else None
        table, price = prices.get(unit, (None, fallback))
        per_unit[unit] = {
            "idempreendimento": u["idempreendimento"],
            "is_disponivel": int(u["situacao_mapa_disponibilidade"]) == 1,
            "is_em_estoque": launched is not None and launched <= month(as_of) and unit not in net_sold,
            "idtabela": table, "valor_tabela": price, "faixa_preco": band(price),
        }
    window_end = month(as_of)
    window_start = month(date(window_end.year - (window_end.month <= 3),
                              (window_end.month - 4) % 12 + 1, 1))
    net = Counter()
    for s in sales.values():
        if window_start <= s["data_venda"] < window_end:
            net[s["idempreendimento"]] += 1
        if s["data_distrato"] and window_start <= s["data_distrato"] < window_end:
            net[s["idempreendimento"]] -= 1
    per_dev: dict[int, dict] = {}
    for dev in {u["idempreendimento"] for u in per_unit.values()}:
        mine = [u for u in per_unit.values() if u["idempreendimento"] == dev]
        stock = [u for u in mine if u["is_em_estoque"]]
        avg = Decimal(net[dev]) / 3
        per_dev[dev] = {
            "unidades_estoque": len(stock), "vgv_estoque": sum(u["valor_tabela"] or 0 for u in stock),
            "unidades_disponiveis": sum(u["is_disponivel"] for u in mine),
            "vendas_liquidas_3m": net[dev],
            "meses_estoque": (Decimal(len(stock)) / avg) if avg > 0 else None,
        }
    return per_unit, per_dev


# --------------------------------------------------------------------------- metas
def expected_targets(world: World, metas: list[dict]) -> dict[tuple[int, date], dict]:
    sales = expected_sales(world)
    units, vgv = Counter(), Counter()
    for s in sales.values():
        units[s["idempreendimento"], month(s["data_venda"])] += 1
        vgv[s["idempreendimento"], month(s["data_venda"])] += s["valor_contrato"]
        if s["data_distrato"]:
            units[s["idempreendimento"], month(s["data_distrato"])] -= 1
            vgv[s["idempreendimento"], month(s["data_distrato"])] -= s["valor_contrato"]
    targets = {(int(m["idempreendimento"]), date.fromisoformat(m["mes"])):
               (int(m["meta_unidades"]), cents(m["meta_vgv"])) for m in metas}
    out = {}
    for (dev, mes), (t_units, t_vgv) in targets.items():
        year = [(k, v) for k, v in targets.items() if k[0] == dev and k[1].year == mes.year and k[1] <= mes]
        ytd_units = sum(units[k] for k, _ in year)
        ytd_target = sum(v[0] for _, v in year)
        out[dev, mes] = {"vendas_liquidas": units[dev, mes], "vgv_liquido": vgv[dev, mes],
                         "atingimento_unidades": ratio(units[dev, mes], t_units),
                         "atingimento_vgv": ratio(vgv[dev, mes], t_vgv),
                         "vendas_liquidas_ano": ytd_units,
                         "atingimento_unidades_ano": ratio(ytd_units, ytd_target)}
    return out


# --------------------------------------------------------------------------- checks
def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(Decimal(str(a)) - Decimal(str(b))) <= Decimal("0.0001")


def check_funnel_marts(b: Built, metas_folder: Path | None = None) -> None:
    world, as_of = b.world, b.as_of
    funnel = expected_funnel(world)
    cols = ("idlead", "data_cad", "mes_coorte", "origem", "midia_original", "idempreendimento",
            "idcorretor", *(f"data_{s}" for s in STAGES))
    rows = b.query(f"select {', '.join(cols)} from marts.funil")
    got = {r[0]: dict(zip(cols[1:], r[1:], strict=True)) for r in rows}
    assert len(rows) == len(got) == len(funnel)
    for lead, exp in funnel.items():
        assert got[lead] == exp, lead

    monthly = expected_funnel_monthly(funnel)
    counts = ("leads", "visitas_realizadas", "pastas", "creditos_aprovados", "reservas", "vendas",
              "distratos", "repasses_assinados", "recursos_liberados")
    rows = b.query(f"select mes_coorte, idempreendimento, origem, {', '.join(counts)},"
                   " conv_lead_visita, conv_visita_pasta, conv_pasta_credito, conv_credito_reserva,"
                   " conv_reserva_venda, conv_venda_repasse, "
                   + ", ".join(f"mediana_dias_{m}" for m in MEDIANS) + " from marts.funil_mensal")
    assert {r[:3] for r in rows} == set(monthly)
    for r in rows:
        exp = monthly[r[:3]]
        assert r[3:12] == tuple(exp["counts"][s] for s in ("lead", *STAGES)), r[:3]
        assert all(close(g, e) for g, e in zip(r[12:18], exp["conv"], strict=True)), r[:3]
        assert all(close(g, e) for g, e in zip(r[18:], exp["medians"].values(), strict=True)), r[:3]

    reps = expected_repasses(world, as_of)
    cols = ("idrepasse", "etapa", "etapa_ordem", "dias_desde_venda", "dias_na_etapa", "dias_venda_recurso",
            "dias_venda_assinatura", "faixa_aging", "(valor_a_receber * 100)::bigint", "is_concluido")
    rows = b.query(f"select {', '.join(cols)} from marts.repasses")
    keys = ("etapa", "etapa_ordem", "dias_desde_venda", "dias_na_etapa", "dias_venda_recurso",
            "dias_venda_assinatura", "faixa_aging", "valor_a_receber", "is_concluido")
    got = {r[0]: dict(zip(keys, r[1:], strict=True)) for r in rows}
    assert len(rows) == len(got)
    assert got == reps

    units, devs = expected_stock(world, as_of)
    rows = b.query("select idunidade, idempreendimento, is_disponivel, is_em_estoque, idtabela,"
                   " (valor_tabela * 100)::bigint, faixa_preco from marts.estoque")
    got = {r[0]: dict(zip(("idempreendimento", "is_disponivel", "is_em_estoque", "idtabela",
                           "valor_tabela", "faixa_preco"), r[1:], strict=True)) for r in rows}
    assert got == units
    rows = b.query("select idempreendimento, unidades_estoque, (vgv_estoque * 100)::bigint,"
                   " unidades_disponiveis, vendas_liquidas_3m, meses_estoque"
                   " from marts.estoque_empreendimentos")
    assert {r[0] for r in rows} == set(devs)
    for dev, stock, vgv, free, net, months in rows:
        exp = devs[dev]
        assert (stock, vgv, free, net) == (exp["unidades_estoque"], exp["vgv_estoque"],
                                           exp["unidades_disponiveis"], exp["vendas_liquidas_3m"]), dev
        assert close(months, exp["meses_estoque"]), dev

    metas = seed("metas.csv", metas_folder) if metas_folder else []
    targets = expected_targets(world, metas)
    rows = b.query("select idempreendimento, mes, vendas_liquidas, (vgv_liquido * 100)::bigint,"
                   " atingimento_unidades, vendas_liquidas_ano, atingimento_unidades_ano,"
                   " atingimento_vgv from marts.metas")
    known = set(devs)
    assert {r[:2] for r in rows} == {k for k in targets if k[0] in known}
    for dev, mes, n, vgv, att, ytd, att_ytd, att_vgv in rows:
        exp = targets[dev, mes]
        assert (n, vgv, ytd) == (exp["vendas_liquidas"], exp["vgv_liquido"], exp["vendas_liquidas_ano"])
        assert close(att, exp["atingimento_unidades"]) and close(att_ytd, exp["atingimento_unidades_ano"])
        assert close(att_vgv, exp["atingimento_vgv"])


# --------------------------------------------------------------------------- history (snapshots)
def available_per_development(units: list[dict]) -> dict[int, int]:
    """Development -> units with map status 1 (every development with units, zeros included)."""
    out: Counter = Counter({u["idempreendimento"]: 0 for u in units})
    for u in units:
        out[u["idempreendimento"]] += int(u["situacao_mapa_disponibilidade"]) == 1
    return dict(out)


def repasses_per_stage(repasses: list[dict]) -> dict[str, tuple[int, int]]:
    """Stage label -> (active repasses, cents of financed + FGTS + subsídio)."""
    stages = {normalized(r["situacao"]): r["etapa"] for r in seed("repasse_etapas.csv")}
    out: dict[str, tuple[int, int]] = {}
    for r in active(repasses):
        etapa = stages.get(normalized(r.get("situacao")), "Não mapeada")
        value = sum(Decimal(str(r.get(k) or 0)) for k in ("valor_financiado", "valor_fgts", "valor_subsidio"))
        n, total = out.get(etapa, (0, 0))
        out[etapa] = (n + 1, total + int(value * 100))
    return out


@dataclass(frozen=True)
class Day:
    """What the snapshots must have recorded on one build's day."""

    day: date
    availability: dict[int, int]  # idunidade -> situacao_mapa_disponibilidade
    situations: dict[int, tuple]  # idrepasse -> (situacao, ativo)
    available: dict[int, int]  # per development
    repasses: dict[str, tuple[int, int]]  # per stage

    @classmethod
    def of(cls, world: World, day: date) -> Day:
        units, repasses = world.rows("unidades"), world.rows("repasses")
        return cls(day, {u["idunidade"]: int(u["situacao_mapa_disponibilidade"]) for u in units},
                   {r["idrepasse"]: (r["situacao"], r.get("ativo") != "N") for r in repasses},
                   available_per_development(units), repasses_per_stage(repasses))


def check_history(b: Built, first: Day, second: Day) -> None:
    """After two builds on two days: a snapshot version per unit (and repasse) for each change,
    and the history marts holding both days."""
    assert second.day > first.day
    changed = {u for u, s in second.availability.items() if first.availability.get(u, s) != s}
    assert changed  # a month of reservations and sales moves some units
    versions = dict(b.query("select idunidade, count(*) from snapshots.snap_unidades group by 1"))
    assert versions == {u: 2 if u in changed else 1 for u in second.availability}
    current = dict(b.query("select idunidade, idsituacao_mapa from snapshots.snap_unidades"
                           " where dbt_valid_to is null"))
    assert current == second.availability

    got: dict[date, dict[int, int]] = defaultdict(dict)
    for day, dev, n in b.query("select data, idempreendimento, unidades_disponiveis"
                               " from marts.estoque_historico"):
        got[day][dev] = n
    assert got == {first.day: first.available, second.day: second.available}

    moved = {r for r, s in second.situations.items() if first.situations.get(r, s) != s}
    assert moved
    versions = dict(b.query("select idrepasse, count(*) from snapshots.snap_repasses group by 1"))
    assert versions == {r: 2 if r in moved else 1 for r in second.situations}
    got_rep: dict[date, dict[str, tuple[int, int]]] = defaultdict(dict)
    for day, etapa, n, value in b.query("select data, etapa, repasses, (valor_a_receber * 100)::bigint"
                                        " from marts.repasses_historico"):
        got_rep[day][etapa] = (n, value)
    assert set(got_rep) == {first.day, second.day}
    assert got_rep[first.day] == first.repasses
    # a version keeps the amounts it was recorded with: compare the counts on the second day
    assert {k: v[0] for k, v in got_rep[second.day].items()} == {k: v[0] for k, v in second.repasses.items()}
