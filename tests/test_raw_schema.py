"""The raw schema is declared (``pipelines/cvdw_source/catalogue.json``), not inferred: every
documented column of a loaded path exists with its documented type from the first load, whether
or not a row carried a value; a path without rows still has its table; dlt infers nothing."""

from __future__ import annotations

import json

from pipelines.cvdw_source.endpoints import ENDPOINTS

from .conftest import PROJECT_DIR, run_script

DECLARED = json.loads((PROJECT_DIR / "pipelines/cvdw_source/catalogue.json").read_text())["paths"]
POSTGRES_TYPES = {"bigint": {"bigint"}, "decimal": {"numeric"}, "text": {"text", "character varying"}}


def raw_columns(database, table: str) -> dict[str, str]:
    return dict(database.query("select column_name, data_type from information_schema.columns"
                               " where table_schema = 'raw' and table_name = %s", (table,)))


def test_every_documented_column_exists_with_its_type(run_pipeline, database, world, monkeypatch):
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA", "keep")  # so every documented column is stored
    paths = ["reservas", "unidades", "vendas", "precadastros", "simulacoes"]
    assert run_pipeline("--endpoints", ",".join(paths)).code == 0
    for path in paths:
        table = path.replace("/", "_")
        got = raw_columns(database, table)
        for column, declared in DECLARED[path]["columns"].items():
            assert got.get(column) in POSTGRES_TYPES[declared], (path, column, got.get(column), declared)
    # Columns the world never fills exist too, and paths the account has no rows in have tables.
    never = {c for c in DECLARED["reservas"]["columns"] if all(r.get(c) in (None, "")
                                                                for r in world.rows("reservas"))}
    assert never and never <= set(raw_columns(database, "reservas"))
    assert database.count("simulacoes") == 0  # a path the simulated account does not use
    assert database.count("reservas") == len(world.rows("reservas"))


def test_a_load_leaves_nothing_for_dlt_to_infer(database, cvdw_config):
    result = run_script()
    assert result.code == 0, result.err[-2000:]
    assert "could not have their types inferred" not in result.err


def test_every_catalogue_path_is_listed_and_the_defaults_marked(run_pipeline):
    result = run_pipeline("--list-endpoints")
    assert result.code == 0
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:-1]}
    assert set(rows) == set(DECLARED)
    assert {p for p, line in rows.items() if line.rstrip().endswith("yes")} == {e.path for e in ENDPOINTS}


def test_the_columns_declared_to_dbt_are_current_and_exist_whatever_personal_data_says(
        run_pipeline, database, monkeypatch):
    """dbt's staging unions the accounts' raw tables by the columns ``cvdw_raw_columns()`` names
    (it may not ask the warehouse): the committed macro is the one the catalogue gives, and under
    the strictest setting (``drop``) every one of them exists in every default path's table, as
    the loader declares it before any row arrives."""
    from pipelines.cvdw_source import dbt_columns

    assert dbt_columns.MACRO.read_text() == dbt_columns.render(), (
        "stale: run python -m pipelines.cvdw_source.dbt_columns")
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA", "drop")
    assert run_pipeline("--declare-only").code == 0
    for endpoint in ENDPOINTS:
        got = {c for (c,) in database.query("select column_name from information_schema.columns"
                                            " where table_schema = 'raw' and table_name = %s",
                                            (endpoint.table,))}
        missing = set(dbt_columns.columns(endpoint.path)) - got
        assert not missing, (endpoint.path, missing)
