"""An account without the funnel: `dbt build` passes on a world whose funnel, repasse and price
paths are all empty and which has no targets. The funnel marts on a full world are checked in
tests/test_dbt.py (against tests/expected_funnel.py)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from simulator.profiles import Profile

from .builder import PROJECT_DIR, built_world
from .test_dbt import FUNNEL_MARTS, FUNNEL_PATHS

START = datetime(2026, 11, 1, 10, 0, 0)  # the world's "now" and the pinned clock of the build


def test_build_passes_when_the_funnel_paths_are_empty_and_there_are_no_targets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An account that uses none of the funnel, repasse and price paths: every path is declared
    (its table exists, empty), `dbt build` passes, the funnel and repasse marts are empty and
    stock falls back to the units' own values. The committed targets file holds only its header
    (a real account's targets are its own): `metas` holds no attainment rows, not zeros."""
    with (PROJECT_DIR / "dbt_project/metas/metas.csv").open(newline="", encoding="utf-8") as f:
        assert not list(csv.DictReader(f))
    profile = Profile("sem_funil", seed=606, own_names=False, empty_paths=FUNNEL_PATHS,
                      description="Sales only: no leads, repasses, visits, pastas nor price tables.")
    monkeypatch.setenv("CVDW_NOW", START.isoformat())
    with built_world(37, 200, tmp_path, prefix="test_dbt_funnel_empty", now=START, profile=profile) as b:
        assert b.metas_folder is None
        for path in FUNNEL_PATHS:
            assert not b.world.rows(path), path
            table = path.replace("/", "_")
            assert b.query(f"select count(*) from raw.{table}")[0][0] == 0, table
        counts = {m: b.query(f"select count(*) from marts.{m}")[0][0] for m in FUNNEL_MARTS}
        assert counts["funil"] == counts["funil_mensal"] == counts["repasses"] == counts["metas"] == 0
        assert counts["estoque"] == len(b.world.rows("unidades"))
        assert b.query("select count(*) from marts.estoque where idtabela is not null")[0][0] == 0
        assert counts["estoque_historico"] > 0
