"""The CVDW simulator behaves like /work/shared/cvdw-api.md says, over real HTTP."""
from __future__ import annotations

import math
import time
from collections import Counter, defaultdict

import pytest
import requests

from simulator import PATHS, Simulator, World

EMAIL, TOKEN = "demo@cvdw.local", "demo-token"
AUTH = {"email": EMAIL, "token": TOKEN}


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=7, size=600)


@pytest.fixture()
def sim(world: World):
    with Simulator(world, requests_per_window=10_000, page_cap=500) as s:
        yield s


def get(sim: Simulator, path: str, headers: dict | None = None, **params) -> requests.Response:
    return requests.get(f"{sim.base_url}/{path}", params=params,
                        headers=AUTH if headers is None else headers, timeout=10)


def walk(sim: Simulator, path: str, size: int, **params) -> list[dict]:
    """Naive page-number walk, as a careless client does it."""
    out, page = [], 1
    while True:
        body = get(sim, path, pagina=page, registros_por_pagina=size, **params).json()
        out.extend(body["dados"])
        if page >= body["total_de_paginas"]:
            return out
        page += 1


# --------------------------------------------------------------- envelope
def test_envelope_echoes_requested_page_size(sim: Simulator, world: World) -> None:
    body = get(sim, "vendas", pagina=2, registros_por_pagina=7).json()
    assert set(body) == {"pagina", "registros", "total_de_registros", "total_de_paginas", "dados"}
    n = len(world.rows("vendas"))
    assert body["pagina"] == 2 and body["registros"] == 7 and len(body["dados"]) == 7
    assert body["total_de_registros"] == n
    assert body["total_de_paginas"] == math.ceil(n / 7)
    last = get(sim, "vendas", pagina=body["total_de_paginas"], registros_por_pagina=7).json()
    assert last["registros"] == 7 and 1 <= len(last["dados"]) <= 7
    beyond = get(sim, "vendas", pagina=10_000, registros_por_pagina=7).json()
    assert beyond["dados"] == [] and beyond["total_de_registros"] == n


def test_default_page_size_and_cap(world: World) -> None:
    with Simulator(world, requests_per_window=10_000, page_cap=50) as s:
        assert get(s, "reservas", pagina=1).json()["registros"] == 30
        body = get(s, "reservas", pagina=1, registros_por_pagina=1000).json()
        assert body["registros"] == 50 and len(body["dados"]) == 50
        assert body["total_de_paginas"] == math.ceil(body["total_de_registros"] / 50)


def test_empty_result_has_zero_pages(sim: Simulator) -> None:
    body = get(sim, "reservas", pagina=1, registros_por_pagina=10,
               a_partir_data_referencia="2099-01-01").json()
    assert body == {"pagina": 1, "registros": 10, "total_de_registros": 0,
                    "total_de_paginas": 0, "dados": []}


def test_walk_returns_every_row_once_in_ascending_order_with_ties(sim: Simulator,
                                                                   world: World) -> None:
    rows = walk(sim, "reservas/condicoes", 97)
    refs = [r["referencia"] for r in rows]
    assert len(refs) == len(set(refs)) == len(world.rows("reservas/condicoes"))
    dates = [r["referencia_data"] for r in rows]
    assert dates == sorted(dates)
    assert max(Counter(dates).values()) >= 2
    assert walk(sim, "reservas/condicoes", 97) == rows  # stable tie order


def test_query_in_json_body_of_get(sim: Simulator) -> None:
    r = requests.get(f"{sim.base_url}/leads", headers=AUTH, timeout=10,
                     json={"pagina": 1, "registros_por_pagina": 3})
    assert r.status_code == 200 and r.json()["registros"] == 3


# ------------------------------------------------------------ date filters
def test_date_filters_both_formats_inclusive(sim: Simulator, world: World) -> None:
    rows = world.rows("reservas")
    real = [r for r in rows if not r["referencia_data"].startswith("0000")]
    pivot = real[len(real) // 2]["referencia_data"]
    expected = [r["referencia"] for r in real if r["referencia_data"] >= pivot]
    got = walk(sim, "reservas", 500, a_partir_data_referencia=pivot)
    assert [r["referencia"] for r in got] == expected  # lower bound inclusive
    day = pivot[:10]
    by_day = walk(sim, "reservas", 500, a_partir_data_referencia=day, ate_data_referencia=day)
    assert by_day and all(r["referencia_data"][:10] == day for r in by_day)
    assert len(by_day) == sum(r["referencia_data"][:10] == day for r in real)
    upper = walk(sim, "reservas", 500, ate_data_referencia=pivot)
    assert len(upper) == sum(r["referencia_data"] <= pivot for r in real)


def test_zero_dates_come_first_and_are_excluded_by_filters(sim: Simulator) -> None:
    first = get(sim, "comissoes", pagina=1, registros_por_pagina=5).json()["dados"]
    assert first[0]["referencia_data"] == "0000-00-00 00:00:00"
    filtered = walk(sim, "comissoes", 500, ate_data_referencia="2099-12-31")
    assert filtered and all(r["referencia_data"] != "0000-00-00 00:00:00" for r in filtered)


@pytest.mark.parametrize("name", ["a_partir_data_referencia", "ate_data_referencia"])
@pytest.mark.parametrize("value", ["0000-00-00 00:00:00", "ontem", "2024-13-01", "01/02/2024"])
def test_bad_dates_give_400_naming_the_parameter(sim: Simulator, name: str, value: str) -> None:
    r = get(sim, "reservas", pagina=1, **{name: value})
    assert r.status_code == 400
    assert r.json() == {"error": f"O campo {name} não é válido", "code": 400}


@pytest.mark.parametrize("params", [{}, {"pagina": "x"}, {"pagina": 0},
                                    {"pagina": 1, "registros_por_pagina": "muitos"}])
def test_bad_paging_gives_400(sim: Simulator, params: dict) -> None:
    r = get(sim, "distratos", **params)
    assert r.status_code == 400
    assert r.json() == {"error": "Erro de solicitação da API de distratos, revise os parâmetros!",
                        "code": 400}


# ------------------------------------------------------- status and routes
def test_auth_permission_route_and_method_errors(sim: Simulator) -> None:
    bad = get(sim, "reservas", headers={"email": EMAIL, "token": "nope"}, pagina=1)
    assert bad.status_code == 401
    assert bad.json() == {"error": "E-mail e/ou token incorreto(s).", "code": 401}
    assert get(sim, "reservas", headers={}, pagina=1).status_code == 401
    sim.forbidden_paths.add("repasses")
    forbidden = get(sim, "repasses", pagina=1)
    assert forbidden.status_code == 403
    assert forbidden.json() == {"error": "Permissão de acesso desabilitada", "code": 403}
    assert get(sim, "empreendimentos", pagina=1).status_code == 404
    root = sim.base_url.rsplit("/api/", 1)[0]
    assert requests.get(f"{root}/api/v1/outra/reservas", headers=AUTH, timeout=5).status_code == 404
    post = requests.post(f"{sim.base_url}/reservas", headers=AUTH, json={"pagina": 1}, timeout=5)
    assert post.status_code == 405
    sim.refuse_credentials = True
    assert get(sim, "reservas", pagina=1).status_code == 401


def test_request_log(sim: Simulator) -> None:
    sim.reset_log()
    get(sim, "leads", pagina=3, registros_por_pagina=4)
    (rec,) = sim.requests
    assert rec.path == "leads" and rec.status == 200
    assert rec.params == {"pagina": "3", "registros_por_pagina": "4"}


# --------------------------------------------------------------- rate limit
def test_rate_limit_window_and_block(world: World) -> None:
    with Simulator(world, requests_per_window=5, window_seconds=0.5) as s:
        codes = [get(s, "imobiliarias", pagina=1).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        blocked = get(s, "imobiliarias", pagina=1)
        assert blocked.status_code == 429 and blocked.json() == {"Response": "Too many requests"}
        assert "Retry-After" not in blocked.headers
        time.sleep(0.55)
        assert get(s, "imobiliarias", pagina=1).status_code == 200


def test_rate_limit_sliding_window_allows_paced_client(world: World) -> None:
    with Simulator(world, requests_per_window=5, window_seconds=0.5) as s:
        codes = []
        for _ in range(12):
            codes.append(get(s, "imobiliarias", pagina=1).status_code)
            time.sleep(0.11)
        assert set(codes) == {200}


def test_retry_after_header_when_enabled(world: World) -> None:
    with Simulator(world, requests_per_window=2, window_seconds=0.5, block_seconds=2.2,
                   retry_after=True) as s:
        codes = [get(s, "imobiliarias", pagina=1) for _ in range(3)]
        assert [c.status_code for c in codes] == [200, 200, 429]
        assert codes[2].headers["Retry-After"] == "3"
        assert int(get(s, "imobiliarias", pagina=1).headers["Retry-After"]) in (2, 3)


# ------------------------------------------------------------------ faults
@pytest.mark.parametrize("kind", ["500", "502", "503", "504"])
def test_server_error_faults(sim: Simulator, kind: str) -> None:
    sim.fail_next(2, kind)
    assert [get(sim, "vendas", pagina=1).status_code for _ in range(3)] == [int(kind)] * 2 + [200]


def test_422_fault_body(sim: Simulator) -> None:
    sim.fail_next(kind="422", path="vendas")
    assert get(sim, "leads", pagina=1).status_code == 200  # other path unaffected
    r = get(sim, "vendas", pagina=1)
    assert r.status_code == 422
    assert r.json() == {"error": "Erro inesperado na API de vendas, por favor entre em contato "
                                 "com o suporte técnico.", "code": 422}


def test_forced_429_does_not_block(world: World) -> None:
    with Simulator(world, requests_per_window=100, retry_after=True, block_seconds=7) as s:
        s.fail_next(kind="429")
        r = get(s, "vendas", pagina=1)
        assert r.status_code == 429 and r.json() == {"Response": "Too many requests"}
        assert r.headers["Retry-After"] == "7"
        assert get(s, "vendas", pagina=1).status_code == 200


def test_timeout_fault_is_slow_then_answers(world: World) -> None:
    with Simulator(world, requests_per_window=100, slow_seconds=0.4) as s:
        s.fail_next(kind="timeout")
        started = time.monotonic()
        r = get(s, "vendas", pagina=1)
        assert r.status_code == 200 and time.monotonic() - started >= 0.4
        with pytest.raises(requests.exceptions.Timeout):
            s.fail_next(kind="timeout")
            requests.get(f"{s.base_url}/vendas", params={"pagina": 1}, headers=AUTH, timeout=0.1)


def test_truncated_fault_breaks_the_body(sim: Simulator) -> None:
    sim.fail_next(kind="truncated")
    with pytest.raises((requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError)):
        get(sim, "reservas", pagina=1, registros_por_pagina=50).json()
    assert get(sim, "reservas", pagina=1).status_code == 200


def test_unknown_fault_kind_is_rejected(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.fail_next(kind="418")


# ---------------------------------------------------------- data changing
def test_edit_while_paging_makes_a_naive_walk_skip_rows() -> None:
    w = World(seed=3, size=300)
    before = {r["referencia"] for r in w.rows("reservas")}
    with Simulator(w, requests_per_window=10_000) as s:
        s.edit_while_paging("reservas", per_request=2)
        seen = {r["referencia"] for r in walk(s, "reservas", 25)}
        s.stop_editing()
    assert seen < before  # rows moved behind the walk were never served
    after = w.rows("reservas")
    assert {r["referencia"] for r in after} == before
    assert after[-1]["referencia_data"] > max(r["referencia_data"] for r in after[:-10])


def test_touch_moves_row_to_the_end() -> None:
    w = World(seed=4, size=200)
    rows = w.rows("vendas")
    ref = rows[3]["referencia"]
    newest = rows[-1]["referencia_data"]
    w.touch("vendas", ref)
    moved = w.rows("vendas")
    assert moved[-1]["referencia"] == ref and moved[-1]["referencia_data"] > newest
    assert len(moved) == len(rows)


def test_add_field_schema_drift() -> None:
    w = World(seed=4, size=200)
    w.add_field("leads", "novo_campo", "x")
    w.add_field("leads", "idlead_txt", lambda row: str(row["idlead"]))
    row = w.rows("leads")[0]
    assert row["novo_campo"] == "x" and row["idlead_txt"] == str(row["idlead"])


def test_advance_adds_edits_and_soft_deletes_with_newer_dates() -> None:
    w = World(seed=5, size=800)
    old_now = w.now
    before = {p: {r["referencia"]: r for r in w.rows(p)} for p in PATHS}
    newest = {p: max((r["referencia_data"] for r in before[p].values()), default="")
              for p in PATHS}
    counts = w.advance(14)
    assert w.now == old_now + 14 * 86400
    assert counts["reservas"]["added"] > 0 and counts["reservas"]["changed"] > 0
    assert sum(c["deleted"] for c in counts.values()) > 0
    for path in PATHS:
        after = w.rows(path)
        changed = [r for r in after if before[path].get(r["referencia"]) != r]
        assert len(after) >= len(before[path])
        assert all(r["referencia_data"] > newest[path] for r in changed), path
        assert len({r["referencia"] for r in after} & set(before[path])) == len(before[path])
    deleted = [r for r in w.rows("leads") if r["ativo"] == "N"
               and before["leads"].get(r["referencia"], {}).get("ativo") == "S"]
    assert deleted
    assert check_consistency(w) is None


def test_advance_is_deterministic() -> None:
    a, b = World(seed=9, size=300), World(seed=9, size=300)
    assert a.advance(10) == b.advance(10)
    assert a.rows("reservas") == b.rows("reservas")


# ------------------------------------------------------------ the world
def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a, b, c = World(seed=11, size=300), World(seed=11, size=300), World(seed=12, size=300)
    for path in PATHS:
        assert a.rows(path) == b.rows(path)
    assert a.rows("reservas") != c.rows("reservas")


def test_sizes_and_rows_per_path(world: World) -> None:
    n = {p: len(world.rows(p)) for p in PATHS}
    assert n["reservas"] == 600
    assert n["unidades"] > n["reservas"]
    assert 0.6 < n["vendas"] / n["reservas"] < 0.8
    assert 0.03 < n["distratos"] / n["vendas"] < 0.15
    assert n["imobiliarias"] >= 3 and n["corretores"] >= 5
    assert all(n[p] > 0 for p in PATHS)


def test_every_row_has_referencia_and_date_not_after_now(world: World) -> None:
    from simulator.timefmt import fmt_dt
    now = fmt_dt(world.now)
    for path in PATHS:
        for r in world.rows(path):
            assert isinstance(r["referencia"], str)
            assert r["referencia_data"] <= now
            assert ("ativo" in r) == (path not in ("unidades", "unidades/situacao"))


def test_big_tie_group_in_worlds_of_1000() -> None:
    w = World(seed=1, size=1000)
    biggest = max(max(Counter(r["referencia_data"] for r in w.rows(p)).values()) for p in PATHS)
    assert biggest > 100


def check_consistency(w: World) -> None:
    """Cross-path invariants the marts rely on; raises AssertionError."""
    res = {r["idreserva"]: r for r in w.rows("reservas")}
    vendas = w.rows("vendas")
    for v in vendas:
        r = res[v["idreserva"]]
        assert v["referencia"] == str(v["idreserva"])
        assert r["data_venda"] and r["data_venda"][:10] == v["data_venda"] and r["venda"] == "Sim"
    sold = {v["idreserva"] for v in vendas}
    assert sold == {i for i, r in res.items() if r["venda"] == "Sim"}
    for d in w.rows("distratos"):
        r = res[d["idreserva"]]
        assert d["idreserva"] in sold and r["situacao"] == "Distrato"
        assert (d["situacao_data"] or d["data_cad"]) > r["data_venda"]
    assert {d["idreserva"] for d in w.rows("distratos")} == \
        {i for i, r in res.items() if r["situacao"] == "Distrato"}
    cond = defaultdict(float)
    for c in w.rows("reservas/condicoes"):
        cond[c["idreserva"]] += c["valor"]
    for i, r in res.items():
        assert abs(cond[i] - r["valor_contrato"]) < 0.005
    pays = defaultdict(float)
    for p in w.rows("comissoes/pagamentos"):
        pays[p["idcomissao"]] += p["valor"]
    for c in w.rows("comissoes"):
        assert c["idreserva"] in sold
        assert c["valor_comissao"] == round(c["valor_contrato"] * c["porcentagem_comissao"] / 100, 2)
        assert abs(pays[c["idcomissao"]] - c["valor_pagamento"]) < 0.005
        assert abs(c["valor_comissao_apagar"] - (c["valor_comissao"] - c["valor_pagamento"])) < 0.005
    net_sold = Counter(r["idunidade"] for r in res.values() if r["situacao"] == "Vendida")
    assert max(net_sold.values()) == 1
    held = Counter(r["idunidade"] for r in res.values()
                   if r["situacao"] in ("Vendida", "Reserva", "Em análise"))
    assert max(held.values()) == 1
    for u in w.rows("unidades"):
        uid = int(u["idunidade"])
        if uid in net_sold:
            assert u["situacao_mapa_disponibilidade"] == 3
        elif uid in held:
            assert u["situacao_mapa_disponibilidade"] in (2, 5)
        else:
            assert u["situacao_mapa_disponibilidade"] in (1, 4)
    series = defaultdict(float)
    for c in w.rows("reservas/condicoes"):
        series[(c["idreserva"], c["serie"])] += c["valor"]
    for rep in w.rows("repasses"):
        i = rep["idreserva"]
        assert i in sold
        assert abs(rep["valor_financiado"] - series[(i, "Financiamento")]) < 0.005
        assert abs(rep["valor_fgts"] - series[(i, "FGTS")]) < 0.005
        assert abs(rep["valor_subsidio"] - series[(i, "Subsídio")]) < 0.005


def test_internal_consistency(world: World) -> None:
    check_consistency(world)


def test_history_matches_current_situation(world: World) -> None:
    res = {r["idreserva"]: r for r in world.rows("reservas")}
    last: dict[int, dict] = {}
    for h in sorted(world.rows("reservas/historico/situacoes"), key=lambda h: h["idhistorico"]):
        prev = last.get(h["idreserva"])
        assert h["de_nome"] == (prev["para_nome"] if prev else None)
        last[h["idreserva"]] = h
    for i, r in res.items():
        assert last[i]["para_nome"] == r["situacao"] and last[i]["para"] == r["idsituacao"]
    ids = {h["para_nome"]: h["para"] for h in last.values()}
    assert ids["Distrato"] == 13


def test_unit_situation_log(world: World) -> None:
    logs = world.rows("unidades/situacao")
    per_unit = defaultdict(list)
    for s in logs:
        uid, n = s["referencia"].split("_")
        assert int(uid) == s["idunidade"]
        per_unit[s["idunidade"]].append((int(n), s["para_situacao"]))
    names = {1: "Disponível", 2: "Reservada", 3: "Vendida", 4: "Bloqueada",
             5: "Em processo de reserva"}
    for u in world.rows("unidades"):
        hist = sorted(per_unit.get(int(u["idunidade"]), []))
        expected = hist[-1][1] if hist else "Bloqueada"
        assert names[u["situacao_mapa_disponibilidade"]] == expected


def test_quirks_are_present(world: World) -> None:
    res = world.rows("reservas")
    assert any(isinstance(r["valor_contrato"], int) for r in res)
    assert any(isinstance(r["valor_contrato"], float) for r in res)
    assert {r["venda"] for r in res} == {"Sim", "Não"}
    assert {r["ativo"] for r in res} <= {"S", "N"}
    assert any(r["data_venda"] == "0000-00-00 00:00:00" for r in res)
    assert any(r["codigointerno"] == "" for r in res)
    assert any(", " in r["idlead"] for r in res)
    assert all(isinstance(r["campos_adicionais"], list) and r["campos_adicionais"] for r in res)
    assert {"referencia", "referencia_data", "idcampo", "nome", "valor", "tipo"} == \
        set(res[0]["campos_adicionais"][0])
    assert any(len(r["data_contrato"] or "") == 10 for r in res)  # date-only
    imobs = world.rows("imobiliarias")
    assert any("&amp;" in m["nome"] for m in imobs)
    com = world.rows("comissoes")
    zero = [c for c in com if c["referencia_data"] == "0000-00-00 00:00:00"]
    assert zero and all(c["ativo"] == "N" and c["data_cad"] == "0000-00-00 00:00:00" for c in zero)
    assert any(c["nota_fiscal"] == "" for c in com)
    assert {c["situacao"] for c in com} >= {"Comissão Gerada (1)", "Liberada", "Aguardando NF",
                                           "Finalizado"}
    assert any(c["referencia_data"] == "0000-00-00 00:00:00" for c in world.rows("corretores"))
    units = world.rows("unidades")
    assert all(isinstance(u["idunidade"], str) and isinstance(u["valor"], str) for u in units)
    float(units[0]["valor"]), float(units[0]["area_comum"]), float(units[0]["andar"])
    libs = [u["liberar_a_partir"] for u in units]
    assert None in libs and "" in libs and any(x and x[2] == "/" for x in libs)
    brl = [c["valor"] for u in units for c in u["campos_adicionais"]]
    assert any("." in v and "," in v for v in brl)  # e.g. "1.050,00"
    assert all(u["plantas"] for u in units)
    assert any(", " in a["idunidade"] for a in world.rows("atendimentos"))
    assert {a["prioridade"] for a in world.rows("atendimentos")} == {"S", "N"}
    assert any(d["situacao_data"] == "" for d in world.rows("distratos"))
    assert all(v["associados"] for v in world.rows("vendas"))
    reps = world.rows("repasses")
    assert {r["parcela"] for r in reps} == {"Sim", "Não"}
    assert {r["contrato"] for r in reps} == {"Adimplente", "Inadimplente"}
    assert any(isinstance(c["indexador"], str) and "%" in c["indexador"]
               for c in world.rows("reservas/condicoes"))
    vendas = world.rows("vendas")
    assert all(v["referencia_data"] == v["data_venda"] + " 00:00:00" for v in vendas)


def test_atendimentos_are_after_sale_tickets_of_buyers(world: World) -> None:
    """cvdw-api.md, "Corrections": a ticket names a unit sold, before it, to the same client."""
    sold = {(r["idcliente"], str(r["idunidade"])): r["data_venda"] for r in world.rows("reservas")
            if r.get("data_venda") and not r["data_venda"].startswith("0000")}
    tickets = [a for a in world.rows("atendimentos") if a["idunidade"]]
    assert len(tickets) > 0.75 * len(world.rows("atendimentos"))  # early ones: nothing sold yet
    for a in tickets:
        first = a["idunidade"].split(", ")[0]
        assert sold.get((a["idcliente"], first), "9999") <= a["data_cad"], a["idatendimento"]
