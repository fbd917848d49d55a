"""The raw schema, declared: every documented CVDW path with its columns and their types.

``catalogue.json`` beside this file is the project's own declaration, generated from CVCRM's
published schemas (``shared/cvdw-catalogue.json``) with the corrections ``shared/cvdw-api.md``
adds; the loader never reads ``shared/``. Regenerate it with::

    python -m pipelines.cvdw_source.catalogue ../shared/cvdw-catalogue.json

Types for dlt: ``integer`` → ``bigint``, ``number`` → ``decimal``, the rest (``string``,
``text`` and ``datetime``, which in payloads may be a zero date, a date only or ``DD/MM/YYYY``)
→ ``text``: staging casts dates. A value that does not fit its column lands in dlt's variant
column (``<column>__v_text``) instead of being dropped. Every decimal column has its text
variant declared beside it, since CVDW sends Brazilian numbers (``'1.000,00'``) in any money
field: staging reads both by name, whatever the data held.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path

DECLARATION = Path(__file__).with_name("catalogue.json")
TYPES = {"integer": "bigint", "number": "decimal"}
# Money, percentages and areas: CVDW sends integers, floats or dot-decimal text in the same
# field (``unidades.valor`` is documented as a string), so they are decimals whatever the schema.
DECIMAL_NAMES = re.compile(r"^(valor|vgv|vpl|renda|saldo_devedor|porcentagem|percentagem|area_)")
# Always text: the identity and cursor of every row, flags sent as S/N or Sim/Não, id lists
# ("8757, 211964") where the schemas say integer.
TEXT_NAMES = {"referencia", "referencia_data", "ativo", "idlead", "situacao_para_venda",
              "situacao_reservada", "situacao_vendida", "situacao_bloqueada"}
# Paths the official index lists beyond the schemas (cvdw-api.md, "Corrections").
EXTRA_PATHS: dict[str, dict[str, str]] = {
    "unidades/situacao": {
        "idunidade": "string", "nome": "string", "modificou": "string", "de_situacao": "string",
        "para_situacao": "string", "idempreendimento": "integer", "empreendimento": "string",
        "idetapa": "integer", "etapa": "string", "idbloco": "integer", "bloco": "string"},
    "leads/possibilidade": {}, "distribuicao/leads": {}, "pessoas/tag_associadas": {},
    "correspondentes-usuarios": {}, "correspondentes-empresas": {},
}
BASE_FIELDS = {"referencia": "string", "referencia_data": "datetime", "ativo": "string"}
# Fields the schemas leave out but real payloads carry (shared/cvdw-fields.md, "seen") and the
# staging models read.
SEEN_FIELDS: dict[str, dict[str, str]] = {
    "reservas": {"valor_contrato_com_juros": "number", "idtime": "integer", "time": "string",
                 "idtipo_reserva": "integer", "tipo_reserva": "string"},
    "reservas/condicoes": {"idserie": "integer"},
    "comissoes/pagamentos": {"ativo": "string", "id_boleto": "integer"},
    "imobiliarias": {"cidade": "string", "estado": "string"},
    "unidades": {"cib": "string"},
}
VARIANT = "{}__v_text"


def column_type(name: str, documented: str) -> str:
    if name in TEXT_NAMES:
        return "text"
    if DECIMAL_NAMES.match(name):
        return "decimal"
    return TYPES.get(documented, "text")


def declare(catalogue: dict) -> dict:
    """The declaration: path → columns (name → dlt type) and the fields the schema flags personal."""
    fields: dict[str, dict[str, str]] = {}
    personal: dict[str, set[str]] = {}
    for entry in catalogue["paths"]:
        path = entry["path"]
        fields.setdefault(path, {})  # a path can have two schemas (corretores): merge them
        for field in entry["fields"]:
            fields[path].setdefault(field["name"], field["type"])
            if field.get("personal"):
                personal.setdefault(path, set()).add(field["name"])
    for path, extra in EXTRA_PATHS.items():
        fields.setdefault(path, BASE_FIELDS | extra)
    for path, seen in SEEN_FIELDS.items():
        for name, kind in seen.items():
            fields[path].setdefault(name, kind)
    return {"source": catalogue.get("source", ""), "paths": {
        path: {"columns": with_variants({name: column_type(name, kind)
                                         for name, kind in columns.items()}),
               "personal": sorted(personal.get(path, ()))}
        for path, columns in sorted(fields.items())}}


def with_variants(columns: dict[str, str]) -> dict[str, str]:
    """``columns`` with the text variant of each decimal column beside it."""
    out = {}
    for name, data_type in columns.items():
        out[name] = data_type
        if data_type == "decimal":
            out[VARIANT.format(name)] = "text"
    return out


@cache
def paths() -> dict[str, dict]:
    """The committed declaration, by path."""
    return json.loads(DECLARATION.read_text())["paths"]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("::")[1].strip(), file=sys.stderr)
        return 2
    declaration = declare(json.loads(Path(argv[0]).read_text()))
    DECLARATION.write_text(json.dumps(declaration, indent=1, ensure_ascii=False) + "\n")
    print(f"{DECLARATION}: {len(declaration['paths'])} paths")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
