"""The CVDW paths we load, declared as data: supporting one more of CVDW's 79 paths is one line.

Every CVDW row carries ``referencia`` (its identity, sometimes composite such as ``193_30``)
and ``referencia_data`` (when it last changed), so all paths share one merge key and one
cursor. ``key`` is the business key, kept here for documentation and for staging models;
``nesting`` is how deep nested lists become dlt child tables (``reservas__campos_adicionais``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    path: str
    key: str
    nesting: int = 1

    @property
    def table(self) -> str:
        """Raw table name: the path with ``/`` replaced by ``_``."""
        return self.path.replace("/", "_")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("reservas", key="idreserva"),
    Endpoint("reservas/condicoes", key="idreservascondicoes"),
    Endpoint("reservas/historico/situacoes", key="idhistorico"),
    Endpoint("vendas", key="idreserva"),
    Endpoint("distratos", key="idreserva"),
    Endpoint("comissoes", key="idcomissao"),
    Endpoint("comissoes/pagamentos", key="idpagamento"),
    Endpoint("unidades", key="idunidade"),
    Endpoint("unidades/situacao", key="referencia"),
    Endpoint("repasses", key="idrepasse"),
    Endpoint("atendimentos", key="idatendimento"),
    Endpoint("corretores", key="idcorretor"),
    Endpoint("imobiliarias", key="idimobiliaria"),
    Endpoint("leads", key="idlead"),
)

BY_NAME: dict[str, Endpoint] = {e.path: e for e in ENDPOINTS} | {e.table: e for e in ENDPOINTS}


def select(names: str | None) -> list[Endpoint]:
    """Endpoints named in a comma-separated list (paths or table names); all when empty."""
    if not names:
        return list(ENDPOINTS)
    chosen = []
    for name in (n.strip().strip("/") for n in names.split(",") if n.strip()):
        if name not in BY_NAME:
            known = ", ".join(e.path for e in ENDPOINTS)
            raise ValueError(f"unknown endpoint '{name}'; known endpoints: {known}")
        if BY_NAME[name] not in chosen:
            chosen.append(BY_NAME[name])
    return chosen


# Money, percentages and areas load as decimals: CVDW sends them as integers, floats or
# dot-decimal text in the same column, and a bigint column inferred from the first row would
# send every later float to a variant column. A value that still does not fit (``"1.000,00"``)
# lands in dlt's ``<column>__v_text`` variant column instead of being dropped.
DECIMAL_COLUMNS = r"re:^(valor|vgv|vpl|renda|saldo_devedor|porcentagem|percentagem|area_)"
