"""Account profiles (simulator/profiles.py): a world served the way a particular CVCRM account does.

Each preset leaves fields out or null, sends undocumented fields, names situations and series its
own way, leaves paths empty and holds anomalies; all of it must be what is served, over HTTP too,
deterministic, kept by ``advance()``, and absent without a profile.
"""
from __future__ import annotations

import csv
from collections import defaultdict

import pytest
import requests

from simulator import PATHS, PROFILES, Profile, Simulator, World
from simulator.profiles import ANOMALY_KINDS, COMISSAO_SITS, CORE_FIELDS, RESERVA_SITS, SERIES, documented

from .conftest import PROJECT_DIR

AUTH = {"email": "demo@cvdw.local", "token": "demo-token"}
SEED, SIZE = 7, 300
DEFAULT_RESERVA_SITS = set(RESERVA_SITS)
DEFAULT_COMISSAO_SITS = set(COMISSAO_SITS)


def normalized(serie: str) -> str:
    """How the marts match a series to the seed: case and blanks do not count."""
    return " ".join(serie.split()).lower()


def classified() -> set[str]:
    with open(PROJECT_DIR / "dbt_project/seeds/serie_classes.csv", encoding="utf-8") as f:
        return {normalized(r["serie"]) for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {name: World(seed=SEED, size=SIZE, profile=name) for name in PROFILES}


@pytest.fixture(scope="module")
def default() -> World:
    return World(seed=SEED, size=SIZE)


def get(sim: Simulator, path: str, **params) -> dict:
    r = requests.get(f"{sim.base_url}/{path}", params=params, headers=AUTH, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------ the rules, as one check
def check_fields(w: World) -> None:
    fields = w.profile_fields
    assert any(f["omitted"] for f in fields.values()) and any(f["nulled"] for f in fields.values())
    for path in PATHS:
        f = fields.get(path)
        rows = w.rows(path)
        if f is None:  # the path had no row to learn its fields from yet
            assert not rows
            continue
        assert not (set(f["omitted"]) | set(f["nulled"])) & CORE_FIELDS, path
        assert set(f["omitted"]) | set(f["nulled"]) <= documented()[path], path
        assert not set(f["undocumented"]) & documented()[path], path
        core = CORE_FIELDS & w.render.fn(path)(w.tables[path], 0).keys()  # as rendered, unedited
        for row in rows:
            assert not row.keys() & set(f["omitted"]), path
            assert all(row[k] is None for k in f["nulled"]), path
            assert row.keys() >= set(f["undocumented"]), path
            assert row.keys() >= core, path


def check_names(w: World) -> None:
    res = {r["idreserva"]: r for r in w.rows("reservas")}
    assert not {r["situacao"] for r in res.values()} & DEFAULT_RESERVA_SITS
    assert not {r["situacao_anterior"] for r in res.values()} & DEFAULT_RESERVA_SITS
    assert not {c["situacao"] for c in w.rows("comissoes")} & DEFAULT_COMISSAO_SITS
    assert not {d["situacao_atual"] for d in w.rows("distratos")} & DEFAULT_RESERVA_SITS
    hist = w.rows("reservas/historico/situacoes")
    pairs = {(r["situacao"], r["idsituacao"]) for r in res.values()}
    pairs |= {(h["para_nome"], h["para"]) for h in hist} | {(h["de_nome"], h["de"]) for h in hist}
    pairs |= {(d["situacao_atual"], d["idsituacao"]) for d in w.rows("distratos")}
    pairs.discard((None, None))
    assert len({n for n, _ in pairs}) == len({i for _, i in pairs}) == len(pairs)  # one id a name
    last: dict[int, dict] = {}
    for h in sorted(hist, key=lambda h: h["idhistorico"]):
        assert h["de_nome"] == (last[h["idreserva"]]["para_nome"] if h["idreserva"] in last else None)
        last[h["idreserva"]] = h
    for i, r in res.items():
        if hist:
            assert last[i]["para_nome"] == r["situacao"] and last[i]["para"] == r["idsituacao"]
    series = {(c["serie"], c["idserie"]) for c in w.rows("reservas/condicoes")}
    assert len({n for n, _ in series}) == len({i for _, i in series}) == len(series)
    unknown = {s for s, _ in series if normalized(s) not in classified()}
    assert unknown == ({w.profile.unclassified_serie} if w.profile.unclassified_serie else set())


def check_empty_paths(w: World) -> None:
    for path in PATHS:
        rows = w.rows(path)
        assert bool(rows) != (path in w.profile.empty_paths), path
        total, page = w.page(path, None, None, 0, 10_000)
        assert total == len(rows) == len(page), path


def check_anomalies(w: World) -> None:
    found = w.profile_anomalies
    assert set(found) == set(w.profile.anomalies)
    lo, hi = w.profile.anomaly_count
    assert all(lo <= len(ids) <= hi and ids == sorted(ids) for ids in found.values())
    com = {c["idcomissao"]: c for c in w.rows("comissoes")}
    reservas = {r["idreserva"] for r in w.rows("reservas")}
    vendas = {v["idreserva"] for v in w.rows("vendas")}
    for i in found.get("comissao_valor_negativo", []):
        assert min(com[i]["valor_pagamento"], com[i]["valor_comissao_apagar"]) < 0
    assert {com[i]["porcentagem_comissao"] for i in found.get(
        "comissao_percentual_fora_da_faixa", [])} <= {200, 6000}
    for i in found.get("comissao_sem_reserva", []):
        assert com[i]["idreserva"] not in reservas | vendas
    hidden = set(found.get("venda_ausente_em_reservas", []))
    assert hidden <= vendas and not hidden & reservas
    # nothing else is anomalous: every other commission has a sale and sane values
    flagged = {i for k, ids in found.items() if k.startswith("comissao") for i in ids}
    for i, c in com.items():
        if i not in flagged:
            assert c["idreserva"] in vendas and 0 < c["porcentagem_comissao"] < 100
            assert c["valor_pagamento"] >= 0 and c["valor_comissao_apagar"] >= -0.005
    if "reservas" not in w.profile.empty_paths:
        assert vendas - reservas == hidden


def check_rules(w: World) -> None:
    check_fields(w)
    check_names(w)
    check_empty_paths(w)
    check_anomalies(w)


# ------------------------------------------------------------------------------ presets
def test_presets_are_many_and_varied() -> None:
    assert len(PROFILES) >= 5
    assert len({(p.omit, p.null, p.undocumented_paths, p.empty_paths, p.anomalies)
                for p in PROFILES.values()}) == len(PROFILES)
    assert len({p.seed for p in PROFILES.values()}) == len(PROFILES)
    assert all(p.description for p in PROFILES.values())
    assert "reservas" in PROFILES["sem_reservas"].empty_paths
    assert any(p.anomalies for p in PROFILES.values()) and any(not p.anomalies for p in PROFILES.values())


@pytest.mark.parametrize("name", list(PROFILES))
def test_profile_rules_hold(worlds: dict[str, World], name: str) -> None:
    check_rules(worlds[name])


@pytest.mark.parametrize("name", list(PROFILES))
def test_undocumented_fields_are_stable_per_row(worlds: dict[str, World], name: str) -> None:
    w = worlds[name]
    extra = {p: f["undocumented"] for p, f in w.profile_fields.items() if f["undocumented"]}
    served = [p for p in PATHS if p not in w.profile.empty_paths]
    assert len(extra) == min(w.profile.undocumented_paths, len(served))
    assert all(2 <= len(names) <= 5 for names in extra.values())
    for path, names in extra.items():
        first, again = w.rows(path), w.rows(path)
        assert [{k: r[k] for k in names} for r in first] == [{k: r[k] for k in names} for r in again]
        if len(first) > 20:
            assert any(len({repr(r[k]) for r in first}) > 1 for k in names), path


def test_fields_differ_by_path_and_share(worlds: dict[str, World]) -> None:
    for w in worlds.values():
        fields = w.profile_fields
        for path, f in fields.items():
            docs = {k for k in w.render.fn(path)(w.tables[path], 0)
                    if k in documented()[path] and k not in CORE_FIELDS}
            lo, hi = w.profile.omit
            assert lo * len(docs) - 1 <= len(f["omitted"]) <= hi * len(docs) + 1, (w.profile.name, path)
        assert len({tuple(f["omitted"]) for f in fields.values() if f["omitted"]}) > 1


def test_every_series_a_profile_can_send_is_classified_but_one() -> None:
    known = classified()
    assert all(normalized(s) in known for pool in SERIES.values() for s in pool)
    deliberate = {p.name: p.unclassified_serie for p in PROFILES.values() if p.unclassified_serie}
    assert deliberate == {"personalizada": "Parcelas de Reforço"}
    assert normalized("Parcelas de Reforço") not in known


def test_deliberately_unclassified_series_is_served(worlds: dict[str, World]) -> None:
    series = {c["serie"] for c in worlds["personalizada"].rows("reservas/condicoes")}
    assert "Parcelas de Reforço" in series


def test_names_differ_from_the_default_world(worlds: dict[str, World], default: World) -> None:
    base = {c["serie"] for c in default.rows("reservas/condicoes")}
    for w in worlds.values():
        assert {c["serie"] for c in w.rows("reservas/condicoes")} != base
        assert w.profile_names["reserva"].keys() == DEFAULT_RESERVA_SITS
        assert len({tuple(w.profile_names["serie"].values()) for w in worlds.values()}) > 1


def test_sem_reservas_serves_sales_without_reservations(worlds: dict[str, World]) -> None:
    w = worlds["sem_reservas"]
    assert w.rows("reservas") == [] and w.rows("vendas") and w.rows("reservas/condicoes")
    assert w.profile_anomalies["comissao_sem_reserva"]


@pytest.mark.parametrize("name", list(PROFILES))
def test_empty_paths_and_hidden_rows_over_http(worlds: dict[str, World], name: str) -> None:
    w = worlds[name]
    with Simulator(w, requests_per_window=10_000) as sim:
        for path in w.profile.empty_paths:
            body = get(sim, path, pagina=1, registros_por_pagina=50)
            assert (body["total_de_registros"], body["total_de_paginas"], body["dados"]) == (0, 0, [])
            dated = get(sim, path, pagina=1, a_partir_data_referencia="2020-01-01")
            assert dated["total_de_registros"] == 0
        if "reservas" not in w.profile.empty_paths:
            refs, page = [], 1
            while True:
                body = get(sim, "reservas", pagina=page, registros_por_pagina=40)
                refs += [r["referencia"] for r in body["dados"]]
                if page >= body["total_de_paginas"]:
                    break
                page += 1
            assert body["total_de_registros"] == len(refs) == len(w.rows("reservas"))
            assert refs == [r["referencia"] for r in w.rows("reservas")]
            hidden = {str(i) for i in w.profile_anomalies.get("venda_ausente_em_reservas", [])}
            assert not hidden & set(refs)
        sample = get(sim, "comissoes", pagina=1, registros_por_pagina=500)["dados"]
        assert sample == w.rows("comissoes")[:500]


# ------------------------------------------------------------------------ determinism
def test_same_profile_and_seed_same_rows(worlds: dict[str, World]) -> None:
    for name in ("legada", "ruidosa"):
        again = World(seed=SEED, size=SIZE, profile=name)
        for path in PATHS:
            assert again.rows(path) == worlds[name].rows(path), (name, path)
        assert again.profile_anomalies == worlds[name].profile_anomalies
    other = World(seed=SEED + 1, size=SIZE, profile="legada")
    assert other.profile_fields != worlds["legada"].profile_fields


def test_profile_none_is_the_default_world(default: World) -> None:
    plain = World(seed=SEED, size=SIZE, profile=None)
    assert plain.profile is None and plain.profile_anomalies == {} and plain.profile_fields == {}
    for path in PATHS:
        assert plain.rows(path) == default.rows(path), path


def test_profile_does_not_change_the_events(worlds: dict[str, World], default: World) -> None:
    """Same world seed, same account history: the profile only changes how rows are served."""
    for w in worlds.values():
        assert [v["referencia"] for v in w.rows("vendas")] == \
            [v["referencia"] for v in default.rows("vendas")]
        assert [v["referencia_data"] for v in w.rows("unidades")] == \
            [v["referencia_data"] for v in default.rows("unidades")]


def test_custom_profile_and_bad_names() -> None:
    mine = Profile("minha", seed=9, omit=(0.5, 0.5), own_names=False, empty_paths=("leads",))
    w = World(seed=3, size=120, profile=mine)
    assert w.rows("leads") == [] and w.profile_names == {}
    assert {r["situacao"] for r in w.rows("reservas")} <= DEFAULT_RESERVA_SITS
    assert all(len(f["omitted"]) > 0 for p, f in w.profile_fields.items()
               if len(f["omitted"]) + len(f["nulled"]) > 2)
    with pytest.raises(ValueError, match="unknown profile"):
        World(seed=3, size=50, profile="nenhuma")
    with pytest.raises(ValueError, match="no such paths"):
        World(seed=3, size=50, profile=Profile("x", seed=1, empty_paths=("empreendimentos",)))
    with pytest.raises(ValueError, match="anomalies"):
        Profile("y", seed=1, anomalies=("bad",))
    with pytest.raises(ValueError, match="reservas is empty"):
        Profile("z", seed=1, empty_paths=("reservas",), anomalies=("venda_ausente_em_reservas",))
    tight = World(seed=3, size=60, profile=Profile("t", seed=1, omit=(0.5, 0.5), null=(0.5, 0.5)))
    assert all(not f["omitted"] or not set(f["omitted"]) & set(f["nulled"])
               for f in tight.profile_fields.values())
    assert set(ANOMALY_KINDS) == {"comissao_valor_negativo", "comissao_percentual_fora_da_faixa",
                                  "comissao_sem_reserva", "venda_ausente_em_reservas"}


def test_cli_takes_a_profile() -> None:
    from simulator.__main__ import _args
    assert _args(["--profile", "legada"]).profile == "legada"
    assert _args([]).profile is None
    with pytest.raises(SystemExit):
        _args(["--profile", "nenhuma"])


# ---------------------------------------------------------------------------- advance
@pytest.mark.parametrize("name", ["legada", "sem_reservas", "ruidosa", "personalizada"])
def test_advance_keeps_the_rules(name: str) -> None:
    w = World(seed=5, size=400, profile=name)
    before = {p: {r["referencia"] for r in w.rows(p)} for p in PATHS}
    anomalies = w.profile_anomalies
    counts = w.advance(30)
    assert counts["reservas"]["added"] > 0
    check_rules(w)
    assert w.profile_anomalies == anomalies
    grew = defaultdict(int)
    for path in PATHS:
        grew[path] = len({r["referencia"] for r in w.rows(path)} - before[path])
    assert all(grew[p] == 0 for p in w.profile.empty_paths)
    assert grew["vendas"] > 0 and (grew["reservas"] > 0) == ("reservas" not in w.profile.empty_paths)
    # edits of hidden rows keep them hidden and the index consistent
    for i in anomalies.get("venda_ausente_em_reservas", []):
        w.touch("reservas", str(i))
    w.touch_oldest("reservas", 3)
    check_empty_paths(w)
    check_anomalies(w)
