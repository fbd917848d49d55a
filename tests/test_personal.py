"""Personal data stays out of the warehouse. A world full of clients', leads' and brokers' names,
CPFs, e-mails, phones and CEPs is loaded and built; none of those values is then found in any
text column of any table or view of any schema, in dlt's load packages on disk or in the
loader's output. The same scan finds them when ``personal_data = 'keep'``, so it can fail."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import psycopg2
import pytest

from pipelines import warehouse
from simulator import World

from .builder import built_world

# The fields the simulator fills with a person's data, written here apart from the loader's rules.
PERSONAL = {
    "reservas": ["cliente", "documento_cliente", "email", "cep_cliente"],
    "vendas": ["cliente", "documento_cliente", "email", "cep_cliente"],
    "distratos": ["cliente", "documento", "cep_cliente"],
    "comissoes": ["cliente", "cep_cliente"],
    "repasses": ["cliente", "documento_cliente", "cep_cliente"],
    "atendimentos": ["cliente", "nome_cliente", "documento_cliente", "email_cliente", "telefone_atendimento"],
    "leads": ["nome", "email", "telefone", "documento_cliente", "cep_cliente"],
    "corretores": ["email", "telefone", "documento", "rg", "cep", "data_nasc"],
    "unidades": ["situacao_nome"],
    "precadastros": ["pessoa", "cep_cliente"],
    "reservas/registros/flags": ["cliente"],
}
ATTRIBUTES = {"reservas": ["renda", "sexo", "idade", "estado_civil"],
              "vendas": ["renda", "sexo", "idade", "estado_civil"], "leads": ["renda_familiar"],
              "precadastros": ["renda_cliente_principal"]}
HEX_HASH = re.compile(r"^[0-9a-f]{64}$")


def personal_values(world: World) -> set[str]:
    """Every personal value of the world that no other field also holds (a broker may share a
    client's name; the broker's name stays, so it cannot be the evidence)."""
    personal, elsewhere = set(), set()
    for path in world.tables:
        fields = set(PERSONAL.get(path, []))
        for row in world.rows(path):
            for name, value in row.items():
                if isinstance(value, list):
                    elsewhere.update(str(v) for item in value for v in item.values())
                elif value not in (None, ""):
                    (personal if name in fields else elsewhere).add(str(value))
    return personal - elsewhere


def text_columns(cur) -> list[tuple[str, str, str]]:
    cur.execute("""
        select n.nspname, c.relname, a.attname from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'v', 'm') and a.attnum > 0 and not a.attisdropped
          and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%%'
          and a.atttypid in ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'jsonb'::regtype)
        order by 1, 2, 3""")
    return cur.fetchall()


def found_in_warehouse(values: set[str]) -> dict[str, int]:
    """Columns (``schema.table.column``) holding any of ``values``, with how many rows."""
    found = {}
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        for schema, table, column in text_columns(cur):
            cur.execute(f'select count(*) from "{schema}"."{table}" where "{column}"::text = any(%s)',
                        (list(values),))
            if (n := cur.fetchone()[0]):
                found[f"{schema}.{table}.{column}"] = n
    return found


def found_in_text(values: set[str], texts: Iterable[str]) -> set[str]:
    """Values that appear as a whole field of CSV or JSON lines, or of a log line."""
    fields = set()
    for text in texts:
        fields.update(f.strip() for f in re.split(r'[,\n"\t]|: ', text))
    return values & fields


def package_files(folder: Path) -> list[str]:
    texts = []
    for path in folder.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            texts.append((gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode(errors="replace"))
    return texts


def test_no_personal_value_reaches_the_warehouse_its_packages_or_the_log(
        tmp_path: Path, capsys: pytest.CaptureFixture):
    with built_world(17, 300, tmp_path, prefix="test_personal") as built:
        output = capsys.readouterr()
        values = personal_values(built.world)
        assert len(values) > 500, "the world should be full of personal values"
        assert found_in_warehouse(values) == {}
        packages = package_files(tmp_path / "dlt")
        assert packages, "dlt keeps its loaded packages: they must hold no personal value either"
        assert found_in_text(values, packages) == set()
        assert found_in_text(values, [output.out, output.err]) == set()

        # Identifiers became keyed hashes: one person still joins across paths, and distinct
        # people stay distinct; attributes (income, age, sex, marital status) were dropped.
        cpfs = {r["documento_cliente"] for r in built.world.rows("reservas") if r.get("documento_cliente")}
        hashes = built.query("select distinct documento_cliente from raw.reservas"
                             " where documento_cliente <> ''")
        assert len(hashes) == len(cpfs) and all(HEX_HASH.match(h) for (h,) in hashes)
        same, joined = built.query("select count(*) filter (where r.documento_cliente = d.documento),"
                                   " count(*) from raw.reservas r join raw.distratos d using (idreserva)"
                                   " where r.documento_cliente <> ''")[0]
        assert joined > 0 and same == joined
        for table, columns in ATTRIBUTES.items():
            assert not set(columns) & raw_columns(built.query, table), table
        # A custom field labelled as income is dropped too (its values are text: dlt keeps them in
        # the variant column of the decimal ``valor``).
        values_of = "count(valor__v_text) filter (where nome = %s), count(valor__v_text)"
        income, others = built.query(f"select {values_of} from raw.reservas__campos_adicionais",
                                     ("Renda familiar",))[0]
        assert income == 0 and others > 0
        # Brokers' names stay: the rankings need them.
        assert built.query("select count(*) from marts.vendas where corretor is not null")[0][0] > 0


def raw_columns(query, table: str) -> set[str]:
    return {c for (c,) in query("select column_name from information_schema.columns"
                                " where table_schema = 'raw' and table_name = %s", (table,))}


def test_keep_stores_them_and_the_scan_finds_them(run_pipeline, database, world, monkeypatch,
                                                  tmp_path: Path):
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA", "keep")
    assert run_pipeline("--endpoints", "reservas,leads").code == 0
    values = personal_values(world)
    found = found_in_warehouse(values)
    assert {"raw.reservas.cliente", "raw.reservas.documento_cliente", "raw.leads.email",
            "raw.leads.telefone"} <= set(found)
    assert len(found_in_text(values, package_files(tmp_path / "dlt"))) > 100


def test_drop_leaves_the_fields_out(run_pipeline, database, world, monkeypatch):
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA", "drop")
    monkeypatch.delenv("SOURCES__CVDW__PERSONAL_DATA_KEY")  # drop needs no key
    assert run_pipeline("--endpoints", "reservas,leads,unidades").code == 0
    assert found_in_warehouse(personal_values(world)) == {}
    assert not {"cliente", "documento_cliente", "email", "renda"} & raw_columns(database.query, "reservas")
    assert "situacao_nome" not in raw_columns(database.query, "unidades")
    assert database.count("reservas") == len(world.rows("reservas"))  # the rows themselves all load


def test_hash_without_a_key_is_one_line(run_pipeline, database, monkeypatch):
    monkeypatch.delenv("SOURCES__CVDW__PERSONAL_DATA_KEY")
    result = run_pipeline("--endpoints", "reservas")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert "personal_data_key" in line and "drop" in line
    assert database.scalar("select count(*) from information_schema.tables"
                           " where table_schema = 'raw'") == 0
