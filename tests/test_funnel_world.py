"""The simulator's funnel (simulator/funnel.py, prices.py): one consistent story per lead.

Leads arrive, visit, open pastas that are approved or refused, reserve and buy; repasses reach
"Recurso liberado"; units carry dated prices. Checked on the rows as served: stage order per
lead, links between paths, history chains, one price in force a day, stamps of advance(), and
what account profiles do to the new paths.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime

import pytest

from simulator import PATHS, PROFILES, Profile, World
from simulator.funnel import FunnelRates
from simulator.profiles import DEPENDENT_PATHS, LEAD_SITS, PRECADASTRO_SITS, REPASSE_SITS, documented
from simulator.timefmt import fmt_dt

NEW_PATHS = ("leads/visitas", "leads/historico/situacoes", "precadastros",
             "precadastro/historico/situacoes", "reservas/registros/flags",
             "repasses/historico/situacoes", "unidades/precos")
HISTORIES = {  # history path -> (entity key, the path of the entities)
    "leads/historico/situacoes": ("idlead", "leads"),
    "precadastro/historico/situacoes": ("idprecadastro", "precadastros"),
    "repasses/historico/situacoes": ("idrepasse", "repasses"),
}
REP_ORDER = ["Em análise no banco", "Aprovado", "Cartório", "Registrado", "Recurso liberado"]


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=3, size=300)


def by(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


def ids(text) -> set[int]:
    return {int(x) for x in str(text).split(",") if x.strip()} if text not in (None, "") else set()


def real(moment: str | None) -> str | None:
    """A moment as served, or None for no date (null, '' or a zero date)."""
    return moment if moment and not moment.startswith("0000") else None


def day(moment: str | None) -> date | None:
    return date.fromisoformat(moment[:10]) if real(moment) else None


def ordered(values: list) -> bool:
    present = [v for v in values if v is not None]
    return present == sorted(present)


def first(values) -> str | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


# ------------------------------------------------------------------------------ the story
def lead_stages(w: World) -> dict[int, list]:
    """Per lead: its moments (data_cad, first visit done, pasta, credit approved, reservation,
    sale) and days (sale, repasse signed, funds released), earliest of each."""
    visits, pastas, approvals = defaultdict(list), defaultdict(list), defaultdict(list)
    for v in w.rows("leads/visitas"):
        visits[v["idlead"]].append(real(v["data_conclusao"]))
    pasta_leads = {p["idprecadastro"]: ids(p["idlead"]) for p in w.rows("precadastros")}
    for p in w.rows("precadastros"):
        for lead in pasta_leads[p["idprecadastro"]]:
            pastas[lead].append(p["data_cad"])
    for h in w.rows("precadastro/historico/situacoes"):
        if h["para_nome"] == "Aprovado":
            for lead in pasta_leads[h["idprecadastro"]]:
                approvals[lead].append(h["data_cad"])
    reps = defaultdict(list)
    for rep in w.rows("repasses"):
        reps[rep["idreserva"]].append(rep)
    reservations = defaultdict(list)
    for r in w.rows("reservas"):
        for lead in ids(r["idlead"]):
            reservations[lead].append(r)
    out = {}
    for ld in w.rows("leads"):
        res = reservations[ld["idlead"]]
        sold = [r for r in res if r["venda"] == "Sim"]
        its_reps = [rep for r in res for rep in reps[r["idreserva"]]]
        sale = first(r["data_venda"] for r in sold)
        out[ld["idlead"]] = [
            ld["data_cad"], first(visits[ld["idlead"]]), first(pastas[ld["idlead"]]),
            first(approvals[ld["idlead"]]), first(r["data_cad"] for r in res), sale,
        ], [day(sale), first(day(x["data_assinatura_de_contrato"]) for x in its_reps),
            first(day(x["data_recurso_liberado"]) for x in its_reps)]
    return out


def test_every_lead_tells_its_story_in_order(world: World) -> None:
    stages = lead_stages(world)
    for lead, (moments, days) in stages.items():
        assert ordered(moments), (lead, moments)
        assert ordered(days), (lead, days)
    reached = [sum(m[k] is not None for m, _ in stages.values()) for k in range(6)]
    lead, visit, pasta, approval, reservation, sale = reached  # cash buyers need no pasta
    assert lead > visit > pasta > approval and lead > reservation > sale
    assert all(n > 0 for n in reached)
    assert sum(d[2] is not None for _, d in stages.values()) > 0  # funds released too


def test_conversion_is_plausible(world: World) -> None:
    stages = lead_stages(world)
    n = len(stages)
    share = [sum(m[k] is not None for m, _ in stages.values()) / n for k in range(1, 6)]
    visited, pasta, approved, reserved, sold = share
    assert 0.25 < visited < 0.8 and 0.1 < pasta < visited
    assert approved < pasta and 0.25 < reserved < 0.6 and sold < reserved
    pastas = world.rows("precadastros")
    assert 0.5 < sum(p["situacao"] == "Aprovado" for p in pastas) / len(pastas) < 0.95
    assert {p["situacao"] for p in pastas} >= {"Aprovado", "Reprovado", "Cancelado"}


def test_reservations_point_at_an_approved_pasta_of_their_leads(world: World) -> None:
    pastas = by(world.rows("precadastros"), "idprecadastro")
    reservas = world.rows("reservas")
    for r in reservas:
        if r["idprecadastro"] is None:
            continue
        p = pastas[r["idprecadastro"]]
        assert p["situacao"] == "Aprovado" and ids(p["idlead"]) & ids(r["idlead"])
        assert p["data_cad"] < r["data_cad"] and p["idunidade"] == r["idunidade"]
        assert p["valor_aprovado"] == r["valor_financiamento"] or not r["valor_financiamento"]
    financed = [r for r in reservas if r["valor_financiamento"]]
    cash = [r for r in reservas if not r["valor_financiamento"]]
    assert sum(r["idprecadastro"] is not None for r in financed) > 0.75 * len(financed)
    assert sum(r["idprecadastro"] is not None for r in cash) < 0.15 * len(cash)


def test_leads_arrive_by_origem_and_midia(world: World) -> None:
    leads = world.rows("leads")
    assert len({ld["idlead"] for ld in leads}) == len(leads)
    differs = sum(ld["origem_ultimo"] != ld["origem"] or ld["midia_ultimo"] != ld["midia_original"]
                  for ld in leads)
    assert 0.1 * len(leads) < differs < 0.7 * len(leads)
    assert all(ld["origem"] and ld["origem_ultimo"] for ld in leads)
    linked = [ld for ld in leads if ld["idcorretor"]]
    assert linked and all(ld["corretor"] and ld["idimobiliaria"] and ld["imobiliaria"] for ld in linked)
    discarded = [ld for ld in leads if ld["situacao"] == "Descartado"]
    assert discarded and all(ld["motivo_cancelamento"] and ld["data_cancelamento"] for ld in discarded)


# ------------------------------------------------------------------------------ the paths
def test_every_row_is_stamped_by_now_and_referencia_is_unique(world: World) -> None:
    now = fmt_dt(world.now)
    for path in PATHS:
        rows = world.rows(path)
        assert rows, path
        assert all(r["referencia_data"] <= now for r in rows), path
        assert len({r["referencia"] for r in rows}) == len(rows), path
    for path in NEW_PATHS:  # documented fields only, like the other paths
        rows = world.rows(path)
        assert set(rows[0]) <= documented()[path], (path, set(rows[0]) - documented()[path])
        assert all(r["ativo"] in ("S", "N") for r in rows)


@pytest.mark.parametrize("path", list(HISTORIES))
def test_history_rows_chain(world: World, path: str) -> None:
    key, entity_path = HISTORIES[path]
    current = by(world.rows(entity_path), key)
    chains = defaultdict(list)
    for h in world.rows(path):
        chains[h[key]].append(h)
    assert set(chains) == set(current)  # every entity has its history, from its creation
    for entity, rows in chains.items():
        rows.sort(key=lambda h: h["idhistorico"])
        assert rows[0]["de"] is None and rows[0]["de_nome"] is None, entity
        for a, b in zip(rows, rows[1:], strict=False):
            assert (b["de_nome"], b["de"]) == (a["para_nome"], a["para"]), entity
            assert b["data_cad"] >= a["data_cad"] and b["para_nome"] != a["para_nome"], entity
        last = rows[-1]
        assert (last["para_nome"], last["para"]) == \
            (current[entity]["situacao"], current[entity]["idsituacao"]), entity


def test_lead_situations_are_the_contracts(world: World) -> None:
    names = {h["para_nome"]: h["para"] for h in world.rows("leads/historico/situacoes")}
    assert names == {"Aguardando atendimento": 1, "Em atendimento": 2, "Descartado": 3,
                     "Em negociação": 4, "Com reserva": 5, "Venda realizada": 6,
                     "Visita agendada": 7, "Visita realizada": 8, "Em análise de crédito": 9}
    pastas = {h["para_nome"]: h["para"] for h in world.rows("precadastro/historico/situacoes")}
    assert pastas == {"Em análise": 1, "Aprovado": 2, "Reprovado": 3, "Cancelado": 4}


def test_visits_are_booked_then_done_or_cancelled(world: World) -> None:
    leads = by(world.rows("leads"), "idlead")
    visits = world.rows("leads/visitas")
    soon = fmt_dt(world.now - 2 * 3600)
    for v in visits:
        assert v["idlead"] in leads and v["data_cad"] <= v["data"]
        assert (v["data_conclusao"] is not None) == (v["situacao"] == "Realizada")
        if v["data_conclusao"]:
            assert v["data"] <= v["data_conclusao"]
        if v["situacao"] == "Agendada":  # its outcome is still to come
            assert v["data"] >= soon
        assert v["idtipo_visita"] in (1, 2) and v["visita_virtual"] in ("S", "N")
        assert v["nome_tipo_visita"] == ("Visita" if v["idtipo_visita"] == 1 else "Revisita")
    assert {v["situacao"] for v in visits} >= {"Realizada", "Cancelada"}
    assert {v["idtipo_visita"] for v in visits} == {1, 2}
    assert {v["visita_virtual"] for v in visits} == {"S", "N"}


def test_pastas_carry_their_answer(world: World) -> None:
    for p in world.rows("precadastros"):
        assert str(p["idlead"]) and ids(p["idlead"])
        refused, approved = p["situacao"] == "Reprovado", p["situacao"] == "Aprovado"
        assert bool(p["motivo_reprovacao"]) == refused and bool(p["idmotivo_reprovacao"]) == refused
        assert (p["valor_aprovado"] is not None) == approved and p["valor_avaliacao"] > 0
        if approved:
            assert p["valor_aprovado"] > 0 and p["situacao_anterior"] == "Em análise"
        if p["situacao"] == "Cancelado":
            assert p["motivo_cancelamento"]


def test_flags_follow_the_reservation(world: World) -> None:
    reservas = by(world.rows("reservas"), "idreserva")
    flags = world.rows("reservas/registros/flags")
    assert set(by(flags, "idreserva")) == set(reservas)
    now = fmt_dt(world.now)
    for f in flags:
        r = reservas[f["idreserva"]]
        for name in [k[len("flag_"):] for k in f if k.startswith("flag_")]:
            assert (f[f"flag_{name}"] == "S") == (f[f"data_flag_{name}"] is not None), name
            assert (f[f"data_flag_{name}"] or "") <= now
        assert f["data_flag_inicio"] == r["data_cad"] == f["data_criacao_reserva"]
        assert (f["flag_vendida"] == "S") == (r["venda"] == "Sim")
        if r["venda"] == "Sim":
            assert f["data_flag_vendida"] == r["data_venda"] == f["data_flag_aprovada"]
        assert f["data_flag_cancelada"] == r["data_cancelamento"]
        assert (f["flag_distrato"] == "S") == (r["situacao"] == "Distrato")
        if f["data_flag_contrato"]:
            assert f["data_flag_contrato"][:10] == r["data_contrato"]
        assert ordered([f["data_flag_inicio"], f["data_flag_analisada"], f["data_flag_vendida"],
                        f["data_flag_contrato"], f["data_flag_assinatura_todas_partes"],
                        f["data_flag_distrato"]])
    signed = [f for f in flags if f["flag_assinatura_todas_partes"] == "S"]
    assert signed and all(f["flag_contrato"] == "S" for f in signed)


def test_repasses_reach_funds_released(world: World) -> None:
    today = fmt_dt(world.now)[:10]
    reps = world.rows("repasses")
    assert "Recurso liberado" in {r["situacao"] for r in reps}
    assert {r["situacao"] for r in reps} - {"Recurso liberado"}
    for rep in reps:
        released = rep["situacao"] == "Recurso liberado"
        assert (rep["data_recurso_liberado"] is not None) == released
        if released:
            assert rep["idsituacao"] == 29
            assert rep["data_registro"] <= rep["data_recurso_liberado"] <= today
            assert rep["data_alteracao_status"][:10] == rep["data_recurso_liberado"]
            assert rep["data_assinatura_de_contrato"] <= rep["data_recurso_liberado"]
    steps = defaultdict(list)
    for h in sorted(world.rows("repasses/historico/situacoes"), key=lambda h: h["idhistorico"]):
        steps[h["idrepasse"]].append(h["para_nome"])
    reps_by_id = by(reps, "idrepasse")
    for rid, names in steps.items():
        assert names == REP_ORDER[:len(names)]  # one step after the other, from the creation
        first_row = min((h for h in world.rows("repasses/historico/situacoes")
                         if h["idrepasse"] == rid), key=lambda h: h["idhistorico"])
        assert first_row["data_cad"] == reps_by_id[rid]["data_venda"]


def test_one_price_in_force_a_day_and_tables_reach_past_now(world: World) -> None:
    prices = world.rows("unidades/precos")
    units = by(world.rows("unidades"), "idunidade")
    periods = defaultdict(list)
    today = fmt_dt(world.now)[:10]
    for p in prices:
        assert re.fullmatch(r"\d+\.\d{2}", p["valor"]) and re.fullmatch(r"\d+\.\d{2}", p["valor_avaliacao"])
        assert p["referencia"].startswith(f"{p['idunidade']}_{p['idtabela']}_")
        assert p["data_vigencia_de"] <= p["data_vigencia_ate"]
        assert (p["idtabela"], p["tabela"]) in {(11, "Tabela Padrão"), (12, "Tabela Lançamento")}
        list_price = float(units[str(p["idunidade"])]["valor"])
        assert (float(p["valor"]) < list_price) == (p["idtabela"] == 12)  # launch: a discount
        periods[p["idunidade"]].append((p["data_vigencia_de"], p["data_vigencia_ate"]))
    for unit, spans in periods.items():
        spans.sort()
        assert all(b[0] > a[1] for a, b in zip(spans, spans[1:], strict=False)), unit
    assert max(ate for spans in periods.values() for _, ate in spans) > today
    available = [u for u in units.values() if u["situacao_mapa_disponibilidade"] == 1]
    in_force = {unit for unit, spans in periods.items() if any(de <= today <= ate for de, ate in spans)}
    assert sum(int(u["idunidade"]) in in_force for u in available) > 0.85 * len(available)


# -------------------------------------------------------------------------------- advance
def test_advance_tells_the_story_on_with_newer_stamps() -> None:
    w = World(seed=3, size=1500)  # big enough to have visits booked at ``now``
    old_now = fmt_dt(w.now)
    before = {p: by(w.rows(p), "referencia") for p in PATHS}
    pending = [v["idtarefa"] for v in w.rows("leads/visitas") if v["situacao"] == "Agendada"]
    counts = w.advance(45)
    new_now = fmt_dt(w.now)
    for path in PATHS:
        for r in w.rows(path):
            if before[path].get(r["referencia"]) != r:
                assert old_now < r["referencia_data"] <= new_now, (path, r["referencia"])
    for path in NEW_PATHS:
        assert counts[path]["added"] > 0 or path == "unidades/precos", path
    for path in HISTORIES:  # history is appended, never edited
        after = by(w.rows(path), "referencia")
        assert all(after[ref] == row for ref, row in before[path].items()), path
    visits = by(w.rows("leads/visitas"), "idtarefa")
    assert pending and all(visits[v]["situacao"] != "Agendada" for v in pending)
    test_history_rows_chain(w, "leads/historico/situacoes")
    test_flags_follow_the_reservation(w)


def test_advance_publishes_new_price_versions() -> None:
    w = World(seed=3, size=300)
    before = {r["referencia"] for r in w.rows("unidades/precos")}
    w.advance(200)  # longer than any vigência: every development gets a new version
    new = [r for r in w.rows("unidades/precos") if r["referencia"] not in before]
    assert new and {r["idempreendimento"] for r in new} == {r["idempreendimento"] for r in
                                                             w.rows("unidades/precos")}
    test_one_price_in_force_a_day_and_tables_reach_past_now(w)


# ---------------------------------------------------------------------- separate stream
UNTOUCHED = ("reservas/condicoes", "reservas/historico/situacoes", "vendas", "distratos",
             "comissoes", "comissoes/pagamentos", "unidades", "unidades/situacao",
             "atendimentos", "corretores", "imobiliarias")


STORY_FIELDS = (
    ("leads", "idlead", {"situacao", "idsituacao", "referencia_data", "origem_ultimo",
                         "midia_ultimo", "motivo_cancelamento", "data_cancelamento"}),
    ("reservas", "idreserva", {"idprecadastro"}),
    ("repasses", "idrepasse", {"situacao", "idsituacao", "data_recurso_liberado",
                               "data_alteracao_status", "data_modificacao", "referencia_data"}),
)


def test_funnel_rates_never_change_the_other_events() -> None:
    """The funnel draws from its own generator: other rates, same sales, units, commissions."""
    base = World(seed=4, size=200)
    other = World(seed=4, size=200, funnel=FunnelRates(
        prospects_per_reservation=0.2, linked_visit=0.5, show_up=0.3, approve=0.9, refuse=0.05,
        release_days=(1, 3), readjust_pct=(0.1, 0.1)))
    for path in UNTOUCHED:
        assert base.rows(path) == other.rows(path), path
    for path, key, story in STORY_FIELDS:
        assert plain(base, path, key, story) == plain(other, path, key, story), path
    assert len(base.rows("leads")) > len(other.rows("leads"))  # fewer prospects


def plain(w: World, path: str, key: str, story: set[str]) -> dict:
    """Rows by id without the fields the story sets; of leads, not the prospects."""
    return {r[key]: {k: v for k, v in r.items() if k not in story} for r in w.rows(path)
            if path != "leads" or r["idlead"] < w.funnel.first_prospect}


def test_funnel_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="share"):
        FunnelRates(show_up=1.5)
    with pytest.raises(ValueError, match="approve"):
        FunnelRates(approve=0.8, refuse=0.3)
    with pytest.raises(ValueError, match="low <= high"):
        FunnelRates(book_days=(5, 2))


# ----------------------------------------------------------------------------- profiles
GROUPS = {"lead": LEAD_SITS, "precadastro": PRECADASTRO_SITS, "repasse": REPASSE_SITS}
SERVED = {  # path -> (group, name fields, id fields)
    "leads": ("lead", ("situacao",), ("idsituacao",)),
    "leads/historico/situacoes": ("lead", ("de_nome", "para_nome"), ("de", "para")),
    "precadastros": ("precadastro", ("situacao", "situacao_anterior"),
                     ("idsituacao", "idsituacao_anterior")),
    "precadastro/historico/situacoes": ("precadastro", ("de_nome", "para_nome"), ("de", "para")),
    "repasses": ("repasse", ("situacao",), ("idsituacao",)),
    "repasses/historico/situacoes": ("repasse", ("de_nome", "para_nome"), ("de", "para")),
}


@pytest.mark.parametrize("name", list(PROFILES))
def test_profiles_rename_the_funnel_with_pool_names_only(name: str) -> None:
    w = World(seed=3, size=300, profile=name)
    for group, pools in GROUPS.items():
        chosen = w.profile_names[group]
        assert chosen.keys() == pools.keys()
        assert all(chosen[c] in pools[c] for c in pools) and len(set(chosen.values())) == len(pools)
    for path, (group, names, id_fields) in SERVED.items():
        rows = w.rows(path)
        assert bool(rows) == (path not in w.profile.empty_paths), path
        pairs = {(r[n], r[i]) for r in rows for n, i in zip(names, id_fields, strict=True)}
        pairs.discard((None, None))
        served = {n for n, _ in pairs}
        assert served <= set(w.profile_names[group].values()), (path, served)
        assert not served & set(GROUPS[group]), path  # never a canonical name
        assert len(served) == len({i for _, i in pairs}) == len(pairs), path  # one id a name


def test_empty_paths_are_derived_from_their_parent() -> None:
    for p in PROFILES.values():
        for parent, dependents in DEPENDENT_PATHS.items():
            if parent in p.empty_paths:
                assert set(dependents) <= set(p.empty_paths), p.name
    assert "reservas/registros/flags" in PROFILES["sem_reservas"].empty_paths
    assert "repasses/historico/situacoes" in PROFILES["ruidosa"].empty_paths
    assert "reservas/historico/situacoes" in PROFILES["legada"].empty_paths
    assert "reservas/registros/flags" not in PROFILES["legada"].empty_paths
    mine = Profile("sem_leads", seed=5, empty_paths=("leads",))
    assert mine.empty_paths == ("leads", *DEPENDENT_PATHS["leads"])
    w = World(seed=3, size=120, profile=mine)
    for path in PATHS:
        assert bool(w.rows(path)) == (path not in mine.empty_paths), path


def test_profiled_rows_keep_the_fields_the_marts_need() -> None:
    w = World(seed=3, size=300, profile="ruidosa")
    need = {"leads/visitas": {"idtarefa", "idlead", "data", "data_conclusao"},
            "unidades/precos": {"idunidade", "idtabela", "valor", "data_vigencia_de",
                                "data_vigencia_ate"},
            "reservas/registros/flags": {"idreserva", "data_flag_vendida", "data_flag_contrato"},
            "reservas": {"idprecadastro", "idtabela"}}
    for path, fields in need.items():
        rows = w.rows(path)
        if rows:
            assert fields <= rows[0].keys(), path


def test_dates_are_real_dates(world: World) -> None:
    for path, fields in {"leads/visitas": ("data_cad", "data", "data_conclusao"),
                         "unidades/precos": ("data_vigencia_de", "data_vigencia_ate"),
                         "repasses": ("data_recurso_liberado",)}.items():
        for r in world.rows(path):
            for f in fields:
                if r[f]:
                    datetime.fromisoformat(r[f])
