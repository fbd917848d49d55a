"""The funnel, repasse, stock and target part of the dbt project (issue 12) on the real
database: `dbt build` passes on a default world and on one whose funnel paths are empty; the
snapshots keep history when the world moves on; an empty `metas` seed gives an empty mart; no
personal field reaches staging. Expected figures come from the simulator's own rows
(``World.rows(path)``) and the seeds, never from the SQL under test. (tests/expected_funnel.py
compares every figure of the marts with the world.)
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from simulator.profiles import Profile

from .builder import PROJECT_DIR, Built, built_world

SEED, SIZE = 37, 500
START = datetime(2026, 11, 1, 10, 0, 0)  # the world's "now" and the pinned clock of the first build
SEEDS = PROJECT_DIR / "dbt_project/seeds"
# The paths issue 12 added, and the two older ones the funnel and the repasse marts read.
NEW_PATHS = ("leads/visitas", "leads/historico/situacoes", "precadastros",
             "precadastro/historico/situacoes", "reservas/registros/flags",
             "repasses/historico/situacoes", "unidades/precos")
FUNNEL_PATHS = (*NEW_PATHS, "leads", "repasses")
NEW_MARTS = ("funil", "funil_mensal", "repasses", "estoque", "estoque_empreendimentos", "metas",
             "estoque_historico", "repasses_historico")
# Fields that identify a person: none may reach a staging view (under any name we know).
PERSONAL = {"nome", "email", "telefone", "documento_cliente", "cep_cliente", "renda_familiar",
            "pessoa", "renda_cliente_principal", "cliente", "observacoes"}


def normalized(name: str | None) -> str:
    return (name or "").strip().lower()


def seed_rows(name: str, folder: Path = SEEDS) -> list[dict]:
    with (folder / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def repasse_stage() -> dict[str, str]:
    return {normalized(r["situacao"]): r["etapa"] for r in seed_rows("repasse_etapas.csv")}


def available_per_development(units: list[dict]) -> dict[int, int]:
    """Development -> units with map status 1 (every development with units, zeros included)."""
    out: Counter = Counter({u["idempreendimento"]: 0 for u in units})
    for u in units:
        out[u["idempreendimento"]] += int(u["situacao_mapa_disponibilidade"]) == 1
    return dict(out)


def repasses_per_stage(repasses: list[dict]) -> dict[str, tuple[int, int]]:
    """Stage label -> (active repasses, cents of financed + FGTS + subsídio)."""
    stages, out = repasse_stage(), {}
    for r in repasses:
        if r.get("ativo") == "N":
            continue
        etapa = stages.get(normalized(r.get("situacao")), "Não mapeada")
        value = sum(Decimal(str(r.get(k) or 0)) for k in ("valor_financiado", "valor_fgts", "valor_subsidio"))
        n, total = out.get(etapa, (0, 0))
        out[etapa] = (n + 1, total + int(value * 100))
    return out


def build(b: Built, project: Path | None = None, *select: str) -> None:
    args = ["build", *(("--select", *select) if select else ()),
            "--vars", json.dumps({"as_of": b.as_of.isoformat()})]
    done = b.dbt(*args, **({"project": project} if project else {}))
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "ERROR=0" in done.stdout


# --------------------------------------------------------------------------- the warehouse
@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A default world loaded and built (`dbt build` passes, or the fixture fails), with the
    clock pinned to the world's own "now": the snapshots stamp that day."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CVDW_NOW", START.isoformat())
        with built_world(SEED, SIZE, tmp_path_factory.mktemp("dbt_funnel"), prefix="test_dbt_funnel",
                         now=START) as state:
            yield state


def test_build_passes_and_fills_the_new_marts(built: Built):
    world = built.world
    for path in FUNNEL_PATHS:
        assert world.rows(path), path  # the world serves every funnel path, or this proves little
    counts = {m: built.query(f"select count(*) from marts.{m}")[0][0] for m in NEW_MARTS}
    assert counts["funil"] == sum(r.get("ativo") != "N" for r in world.rows("leads"))
    assert counts["repasses"] == sum(r.get("ativo") != "N" for r in world.rows("repasses"))
    assert counts["estoque"] == len(world.rows("unidades"))
    assert all(n for m, n in counts.items() if m != "metas"), counts  # no targets: see below
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


def test_lead_id_lists_become_bigint_arrays(built: Built):
    """`idlead` lists stay as text and come as bigint[] too, in CVDW's order."""
    rows = built.query("select idprecadastro, idlead, idleads from staging.stg_cvdw__precadastros")
    assert rows
    served = {p["idprecadastro"]: p.get("idlead") for p in built.world.rows("precadastros")}
    for pasta, text, ids in rows:
        assert text == (str(served[pasta]).strip() if served[pasta] not in (None, "") else None)
        assert ids == ([int(x) for x in text.split(",") if x.strip()] if text else None)


def test_an_account_without_targets_gets_an_empty_metas_mart(built: Built):
    """The committed targets file holds only its header (a real account's targets are its own);
    with it the build passes and `metas` holds no attainment rows, not zeros. The simulated
    account's targets fill it in tests/expected_funnel.py."""
    assert built.metas_folder is None
    assert not seed_rows("metas.csv", PROJECT_DIR / "dbt_project/metas")
    assert built.query("select count(*) from marts.metas")[0][0] == 0


def test_snapshots_keep_history_when_the_world_moves_on(built: Built, monkeypatch: pytest.MonkeyPatch):
    """Runs last: advancing the world changes it for good. A later load and a build with a later
    clock add a version for each unit whose availability changed (and for each repasse whose
    situation did); the history marts then hold both days."""
    world = built.world
    first = built.as_of
    units_before, repasses_before = world.rows("unidades"), world.rows("repasses")
    world.advance(days=30)
    monkeypatch.setenv("CVDW_NOW", datetime.combine(built.as_of, START.time()).isoformat())
    built.load()
    build(built)
    second = built.as_of
    assert second > first
    units_after, repasses_after = world.rows("unidades"), world.rows("repasses")

    before = {u["idunidade"]: int(u["situacao_mapa_disponibilidade"]) for u in units_before}
    after = {u["idunidade"]: int(u["situacao_mapa_disponibilidade"]) for u in units_after}
    changed = {u for u in before if u in after and before[u] != after[u]}
    assert changed  # a month of reservations and sales moves some units
    versions = dict(built.query("select idunidade, count(*) from snapshots.snap_unidades group by 1"))
    assert versions == {u: 2 if u in changed else 1 for u in after}
    current = dict(built.query("select idunidade, idsituacao_mapa from snapshots.snap_unidades"
                               " where dbt_valid_to is null"))
    assert current == after

    rows = built.query("select data, idempreendimento, unidades_disponiveis from marts.estoque_historico")
    got: dict[date, dict[int, int]] = {}
    for day, dev, n in rows:
        got.setdefault(day, {})[dev] = n
    assert set(got) == {first, second}
    assert got[first] == available_per_development(units_before)
    assert got[second] == available_per_development(units_after)

    situation = {r["idrepasse"]: r["situacao"] for r in repasses_before}
    moved = {r["idrepasse"] for r in repasses_after
             if r["idrepasse"] in situation and r["situacao"] != situation[r["idrepasse"]]}
    assert moved
    versions = dict(built.query("select idrepasse, count(*) from snapshots.snap_repasses group by 1"))
    assert versions == {r["idrepasse"]: 2 if r["idrepasse"] in moved else 1 for r in repasses_after}
    rows = built.query("select data, etapa, repasses, (valor_a_receber * 100)::bigint"
                       " from marts.repasses_historico")
    got_rep: dict[date, dict[str, tuple[int, int]]] = {}
    for day, etapa, n, cents in rows:
        got_rep.setdefault(day, {})[etapa] = (n, cents)
    assert set(got_rep) == {first, second}
    assert got_rep[first] == repasses_per_stage(repasses_before)
    # a version keeps the amounts it was recorded with: compare the counts on the second day
    assert {k: v[0] for k, v in got_rep[second].items()} == {
        k: v[0] for k, v in repasses_per_stage(repasses_after).items()}


# --------------------------------------------------------------------------- without the new paths
def test_build_passes_when_the_funnel_paths_are_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An account that uses none of the funnel, repasse and price paths: every path is declared
    (its table exists, empty), `dbt build` passes, the funnel and repasse marts are empty and
    stock falls back to the units' own values."""
    profile = Profile("sem_funil", seed=606, own_names=False, empty_paths=FUNNEL_PATHS,
                      description="Sales only: no leads, repasses, visits, pastas nor price tables.")
    monkeypatch.setenv("CVDW_NOW", START.isoformat())
    with built_world(SEED, 200, tmp_path, prefix="test_dbt_funnel_empty", now=START,
                     profile=profile) as b:
        for path in FUNNEL_PATHS:
            assert not b.world.rows(path), path
            table = path.replace("/", "_")
            assert b.query(f"select count(*) from raw.{table}")[0][0] == 0, table
        counts = {m: b.query(f"select count(*) from marts.{m}")[0][0] for m in NEW_MARTS}
        assert counts["funil"] == counts["funil_mensal"] == counts["repasses"] == 0
        assert counts["estoque"] == len(b.world.rows("unidades"))
        assert b.query("select count(*) from marts.estoque where idtabela is not null")[0][0] == 0
        assert counts["estoque_historico"] > 0
