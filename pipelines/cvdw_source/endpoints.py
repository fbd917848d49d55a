"""The CVDW paths we load, declared as data: every path of the catalogue (``catalogue.json``) can
be loaded by naming it; ``ENDPOINTS`` are the ones loaded by default (what the marts read and
their dimensions), and giving one a key of its own or deeper nesting is one line here.

Every CVDW row carries ``referencia`` (its identity, sometimes composite such as ``193_30``)
and ``referencia_data`` (when it last changed), so all paths share one merge key and one
cursor. ``key`` is the business key, kept here for documentation and for staging models;
``nesting`` is how deep nested lists become dlt child tables (``reservas__campos_adicionais``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import catalogue


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
    # The funnel, the repasse pipeline and the price tables (issue 12).
    Endpoint("leads/visitas", key="idtarefa"),
    Endpoint("leads/historico/situacoes", key="idhistorico"),
    Endpoint("precadastros", key="idprecadastro"),
    Endpoint("precadastro/historico/situacoes", key="idhistorico"),
    Endpoint("reservas/registros/flags", key="idreserva"),
    Endpoint("repasses/historico/situacoes", key="idhistorico"),
    Endpoint("unidades/precos", key="referencia"),
)



def _catalogued(path: str) -> Endpoint:
    """A catalogue path beyond the defaults: its key is its first id column."""
    ids = [c for c in catalogue.paths()[path]["columns"] if c.startswith("id")]
    return Endpoint(path, key=ids[0] if ids else "referencia")


DEFAULT_PATHS = {e.path for e in ENDPOINTS}
ALL_ENDPOINTS: tuple[Endpoint, ...] = (*ENDPOINTS, *(
    _catalogued(p) for p in catalogue.paths() if p not in DEFAULT_PATHS))
BY_NAME: dict[str, Endpoint] = ({e.path: e for e in ALL_ENDPOINTS}
                                | {e.table: e for e in ALL_ENDPOINTS})


def select(names: str | None) -> list[Endpoint]:
    """Endpoints named in a comma-separated list (paths or table names); the defaults when empty."""
    if not names:
        return list(ENDPOINTS)
    chosen = []
    for name in (n.strip().strip("/") for n in names.split(",") if n.strip()):
        if name not in BY_NAME:
            raise ValueError(f"unknown endpoint '{name}': `python pipelines/cvdw.py --list-endpoints` "
                             "lists them")
        if BY_NAME[name] not in chosen:
            chosen.append(BY_NAME[name])
    return chosen


# Money, percentages and areas load as decimals: CVDW sends them as integers, floats or
# dot-decimal text in the same column, and a bigint column inferred from the first row would
# send every later float to a variant column. A value that still does not fit (``"1.000,00"``)
# lands in dlt's ``<column>__v_text`` variant column instead of being dropped.
# (Undocumented columns only: documented ones carry their declared type, see catalogue.py.)
DECIMAL_COLUMNS = "re:" + catalogue.DECIMAL_NAMES.pattern
