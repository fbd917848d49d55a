"""Account profiles: make one simulated world look like a particular CVCRM account.

Real accounts configure their own fields, situations and workflows: many
documented fields never arrive or are always null, a few undocumented ones do,
situations and payment series carry the account's own names, some paths are
never used, and the data holds anomalies (negative paid values, 6000 % fees,
commissions of deleted reservations). A :class:`Profile` describes such an
account; :class:`Account` applies it to a built :class:`~simulator.world.World`.

The profile never touches the event simulation: the same world seed plays the
same events with or without a profile. It acts only where rows are served,
through each table's ``shape`` (an edit of the rendered row) and its index
(blank paths, hidden rows), so ``page()`` totals always equal what is served
and :meth:`World.advance` rows get the same treatment. Every choice comes from
``random.Random`` seeded by the profile seed and the world seed; per-row values
come from a hash of ``referencia``, so they are stable without being stored.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zlib import crc32

from . import pools as P
from .render import FLAG_NAMES

if TYPE_CHECKING:
    from .table import Table
    from .world import World

# Never left out nor nulled: the row's identity and cursor, the ids that link
# rows across paths, and every field the sales, commission, pró-soluto, VSO,
# funnel, repasse and stock figures are computed from (tests/test_dbt.py
# ``expected_from``, tests/test_funnel.py). Without them an account's figures
# could not be computed at all, which no real account shows. Descriptive fields
# (origem, mídia, banco, correspondente, tipologia, names) stay optional.
# Situation names and ids stay too: the profile renames them instead.
CORE_FIELDS = frozenset({
    "referencia", "referencia_data", "ativo",
    # keys and links
    "idreserva", "idcomissao", "idpagamento", "idunidade", "idunidade_int",
    "idempreendimento", "idreservascondicoes", "idcorretor", "idimobiliaria",
    "idlead", "idcliente", "idhistorico", "idrepasse", "idatendimento", "idserie",
    "idtarefa", "idprecadastro", "idtabela",
    # figures
    "data_venda", "data_cad", "situacao_data", "valor_contrato", "valor",
    "valor_comissao", "valor_pagamento", "valor_comissao_apagar",
    "porcentagem_comissao", "serie", "situacao_mapa_disponibilidade",
    "liberar_a_partir", "data", "data_conclusao", "data_vigencia_de", "data_vigencia_ate",
    "data_assinatura_de_contrato", "data_recurso_liberado", "data_registro",
    "data_alteracao_status", "valor_financiado", "valor_fgts", "valor_subsidio",
    "area_privativa",
    *(f"data_flag_{name}" for name in FLAG_NAMES),
    # situations (renamed by the profile, see ``_RENAMED``)
    "situacao", "idsituacao", "situacao_anterior", "idsituacao_anterior",
    "situacao_atual", "de", "para", "de_nome", "para_nome",
})
# Paths an account has only when it uses their parent: without leads there are no visits,
# pastas nor lead history; without repasses no repasse history; without reservas no flags.
DEPENDENT_PATHS = {
    "leads": ("leads/visitas", "leads/historico/situacoes", "precadastros",
              "precadastro/historico/situacoes"),
    "repasses": ("repasses/historico/situacoes",),
    "reservas": ("reservas/registros/flags",),
}

ANOMALY_KINDS = ("comissao_valor_negativo", "comissao_percentual_fora_da_faixa",
                 "comissao_sem_reserva", "venda_ausente_em_reservas")

# The account's own names for the simulator's canonical ones. Situation pools
# leave the canonical name out (a profiled account always differs); series
# pools may hold it. Every series here is classified in
# dbt_project/seeds/serie_classes.csv (a test checks it).
RESERVA_SITS = {
    "Reserva": ["Reservada", "Pré-reserva", "Reserva Efetuada", "Proposta", "Em Reserva"],
    "Em análise": ["Análise de Crédito", "Em Análise Financeira", "Aguardando Aprovação",
                   "Análise Documental", "Em Aprovação"],
    "Vendida": ["Venda Concluída", "Contrato Assinado", "Vendido", "Venda Efetivada",
                "Venda Aprovada"],
    "Cancelada": ["Reserva Cancelada", "Cancelado", "Desistência", "Expirada", "Cancelamento"],
    "Distrato": ["Distratada", "Distrato Efetivado", "Rescisão", "Contrato Distratado",
                 "Rescindida"],
}
COMISSAO_SITS = {
    "Comissão Gerada (1)": ["Comissão Gerada", "Gerada", "Pendente", "Em Aberto", "Prevista"],
    "Liberada": ["Liberada para Pagamento", "Aprovada", "Apta a Pagar", "Liberado"],
    "Aguardando NF": ["Aguardando Nota Fiscal", "Pendente NF", "Aguardando Documentação",
                      "Parcialmente Paga"],
    "Finalizado": ["Paga", "Quitada", "Pago", "Concluída", "Finalizada"],
}
SERIES = {
    "Ato": ["Ato", "Entrada", "Sinal de Negócio", "Pagamento no Ato", "Entrada à Vista"],
    "Sinal": ["Sinal", "Sinal de Negócio", "Arras", "Sinal Complementar",
              "Complemento de Entrada"],
    "Mensais": ["Parcelas Mensais", "Mensal", "Mensais", "Parcelas", "Mensalidades"],
    "Intermediárias": ["Intercaladas", "Balões", "Anuais", "Semestrais", "Intermediárias",
                       "Parcelas Intermediárias"],
    "Chaves": ["Chaves", "Parcela Chaves", "Entrega das Chaves", "Pós-chaves",
               "Saldo nas Chaves"],
    "Financiamento": ["Financiamento Bancário", "Financiamento CEF", "Financiamento",
                      "Crédito Imobiliário", "Repasse Bancário", "Financiamento SFH"],
    "FGTS": ["Recursos FGTS", "FGTS", "Saldo FGTS", "Uso do FGTS"],
    "Subsídio": ["Subsídio MCMV", "Subsídio", "Desconto MCMV",
                 "Subsídio Minha Casa Minha Vida"],
}
# The funnel's and the repasse's situations (the issue 12 contract's pools).
LEAD_SITS = {
    "Aguardando atendimento": ["Novo", "Lead Novo", "Aguardando Contato", "Em Fila"],
    "Em atendimento": ["Em Contato", "Atendimento Iniciado", "Em Prospecção", "Qualificação"],
    "Descartado": ["Perdido", "Lead Descartado", "Desqualificado", "Sem Interesse"],
    "Em negociação": ["Negociação", "Proposta Enviada", "Em Proposta", "Negociando"],
    "Com reserva": ["Reservado", "Reserva Realizada", "Com Proposta Aceita", "Reserva Feita"],
    "Venda realizada": ["Vendido", "Venda Concluída", "Cliente Comprou", "Ganho"],
    "Visita agendada": ["Agendou Visita", "Visita Marcada", "Agendamento", "Visita Programada"],
    "Visita realizada": ["Visitou", "Visita Concluída", "Compareceu ao Stand", "Visita Feita"],
    "Em análise de crédito": ["Pasta em Análise", "Análise de Crédito", "Documentação Enviada",
                              "Pré-cadastro"],
}
PRECADASTRO_SITS = {
    "Em análise": ["Análise Bancária", "Em Avaliação", "Aguardando Banco", "Pasta Enviada"],
    "Aprovado": ["Crédito Aprovado", "Aprovada", "Pasta Aprovada", "Aprovado com Condição"],
    "Reprovado": ["Crédito Reprovado", "Reprovada", "Pasta Reprovada", "Negado"],
    "Cancelado": ["Pasta Cancelada", "Cancelada", "Desistiu", "Arquivada"],
}
REPASSE_SITS = {
    "Em análise no banco": ["Análise no Banco", "Em Análise", "Aguardando Banco",
                            "Enviado ao Banco"],
    "Aprovado": ["Crédito Aprovado", "Aprovado pelo Banco", "Aprovada", "Conformidade"],
    "Cartório": ["Contrato Assinado", "Assinatura", "Em Cartório", "Registro em Andamento"],
    "Registrado": ["Registro Concluído", "Contrato Registrado", "Registrado em Cartório",
                   "Averbado"],
    "Recurso liberado": ["Recurso Liberado", "Pago pelo Banco", "Repasse Concluído",
                         "Liberação de Recursos"],
}
# The canonical series a profile's ``unclassified_serie`` renames.
UNCLASSIFIED_OF = "Intermediárias"


def _history(path: str, group: str) -> tuple[tuple[str, str, str, str], ...]:
    """The four situation fields of a ``*/historico/situacoes`` path."""
    return ((path, "de_nome", group, "name"), (path, "para_nome", group, "name"),
            (path, "de", group, "id"), (path, "para", group, "id"))


# Which rendered fields carry which vocabulary: (path, field, group, kind).
_RENAMED = (
    ("reservas", "situacao", "reserva", "name"),
    ("reservas", "situacao_anterior", "reserva", "name"),
    ("reservas", "idsituacao", "reserva", "id"),
    ("reservas", "idsituacao_anterior", "reserva", "id"),
    *_history("reservas/historico/situacoes", "reserva"),
    ("distratos", "situacao_atual", "reserva", "name"),
    ("distratos", "idsituacao", "reserva", "id"),
    ("comissoes", "situacao", "comissao", "name"),
    ("comissoes", "idsituacao", "comissao", "id"),
    ("reservas/condicoes", "serie", "serie", "name"),
    ("reservas/condicoes", "idserie", "serie", "id"),
    ("leads", "situacao", "lead", "name"),
    ("leads", "idsituacao", "lead", "id"),
    *_history("leads/historico/situacoes", "lead"),
    ("precadastros", "situacao", "precadastro", "name"),
    ("precadastros", "situacao_anterior", "precadastro", "name"),
    ("precadastros", "idsituacao", "precadastro", "id"),
    ("precadastros", "idsituacao_anterior", "precadastro", "id"),
    *_history("precadastro/historico/situacoes", "precadastro"),
    ("repasses", "situacao", "repasse", "name"),
    ("repasses", "idsituacao", "repasse", "id"),
    *_history("repasses/historico/situacoes", "repasse"),
)
# (pools, canonical ids, highest id an account might configure)
_GROUPS = {"reserva": (RESERVA_SITS, P.SIT_IDS, 40),
           "comissao": (COMISSAO_SITS, P.COMM_SIT_IDS, 20),
           "serie": (SERIES, P.SERIE_IDS, 60),
           "lead": (LEAD_SITS, P.LEAD_SIT_IDS, 30),
           "precadastro": (PRECADASTRO_SITS, P.PASTA_SIT_IDS, 15),
           "repasse": (REPASSE_SITS, dict(P.REP_STEPS), 40)}


def _pick(options: list) -> Callable[[int], Any]:
    return lambda x: options[x % len(options)]


# Fields no schema documents, as integrations and custom forms add them; a value
# is a function of a per-row hash.
UNDOCUMENTED: dict[str, Callable[[int], Any]] = {
    "campo_personalizado_1": _pick(["Sim", "Não", "", None]),
    "campo_personalizado_2": _pick(["Indicação", "Feirão", "Stand de vendas", "Site", ""]),
    "campo_personalizado_3": lambda x: None if x % 4 else f"Obs. {x % 997}",
    "idintegracao_erp": lambda x: 100000 + x % 900000,
    "codigo_sap": lambda x: f"SAP{x % 10**8:08d}",
    "cor_fachada": _pick(["Branco Gelo", "Cinza Urbano", "Areia", "Terracota", "Grafite"]),
    "centro_custo": lambda x: f"CC-{x % 40 + 100:04d}",
    "flag_migrado": _pick(["S", "N", "N", "N"]),
    "idexterno_crm_antigo": lambda x: None if x % 5 == 0 else str(x % 10**7),
    "usuario_integracao": _pick(["integracao.erp", "api.sienge", "importacao.planilha"]),
    "data_integracao_erp": lambda x: (f"20{22 + x % 4}-{x % 12 + 1:02d}-{x % 28 + 1:02d} "
                                      f"{x % 24:02d}:{x % 60:02d}:00"),
    "nota_nps": lambda x: None if x % 3 == 0 else x % 11,
}


@dataclass(frozen=True)
class Profile:
    """How one account differs from the simulator's default, kind account.

    Shares are ``(low, high)`` ranges; each path draws its own share in them.
    """

    name: str
    seed: int
    omit: tuple[float, float] = (0.0, 0.0)   # share of optional documented fields never sent
    null: tuple[float, float] = (0.0, 0.0)   # share of optional documented fields always null
    undocumented_paths: int = 0               # paths that send 2-5 undocumented fields
    own_names: bool = True                    # situations and series named the account's way
    unclassified_serie: str | None = None     # name for "Intermediárias" the seed lacks
    empty_paths: tuple[str, ...] = ()         # paths that serve no rows (dependents added)
    anomalies: tuple[str, ...] = ()           # kinds of ANOMALY_KINDS to inject
    anomaly_count: tuple[int, int] = (2, 6)   # how many of each kind
    description: str = ""

    def __post_init__(self) -> None:
        # An unused parent leaves its dependent paths empty too (DEPENDENT_PATHS), whatever
        # the preset lists: frozen, so set through object.__setattr__.
        derived = [d for p in self.empty_paths for d in DEPENDENT_PATHS.get(p, ())]
        object.__setattr__(self, "empty_paths",
                           tuple(dict.fromkeys((*self.empty_paths, *derived))))
        if self.omit[1] + self.null[1] > 1:
            raise ValueError(f"profile {self.name}: omit and null shares exceed 1")
        unknown = set(self.anomalies) - set(ANOMALY_KINDS)
        if unknown:
            raise ValueError(f"profile {self.name}: unknown anomalies {sorted(unknown)}")
        if "venda_ausente_em_reservas" in self.anomalies and "reservas" in self.empty_paths:
            raise ValueError(f"profile {self.name}: reservas is empty, no sale can be missing "
                             "from it")


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("enxuta", seed=101, omit=(0.30, 0.40), null=(0.10, 0.20),
            empty_paths=("atendimentos", "leads", "repasses"),
            description="Lean account: only sales and commissions in use; many fields "
                        "switched off, no leads, service cases nor repasses."),
    Profile("legada", seed=202, omit=(0.15, 0.25), null=(0.25, 0.35), undocumented_paths=3,
            empty_paths=("reservas/historico/situacoes",), anomalies=ANOMALY_KINDS,
            description="Migrated from an older CRM: fields imported empty, migration "
                        "columns, no situation history, every kind of legacy anomaly."),
    Profile("personalizada", seed=303, omit=(0.15, 0.25), null=(0.05, 0.10),
            undocumented_paths=7, unclassified_serie="Parcelas de Reforço",
            anomalies=("comissao_percentual_fora_da_faixa",),
            description="Heavily customised: custom fields on most paths and one payment "
                        "series ('Parcelas de Reforço') the series seed does not classify."),
    Profile("sem_reservas", seed=404, omit=(0.15, 0.30), null=(0.10, 0.20),
            undocumented_paths=2,
            empty_paths=("reservas", "reservas/historico/situacoes", "atendimentos"),
            anomalies=("comissao_sem_reserva", "comissao_valor_negativo"),
            description="The reservas path serves nothing while vendas holds the sales, as "
                        "some real captures do; commissions of vanished reservations."),
    Profile("ruidosa", seed=505, omit=(0.30, 0.40), null=(0.20, 0.30),
            undocumented_paths=10, empty_paths=("leads", "repasses"),
            anomalies=ANOMALY_KINDS, anomaly_count=(4, 6),
            description="Noisy: the most fields missing or null, undocumented fields "
                        "everywhere, more anomalies of every kind."),
)}


def resolve(profile: Profile | str | None) -> Profile | None:
    """A Profile from a preset name (or a Profile, or None)."""
    if profile is None or isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown profile {profile!r}; presets: {', '.join(PROFILES)}") from None


@cache
def documented() -> dict[str, frozenset[str]]:
    """Documented fields by path, from the loader's declaration.

    Read as JSON: importing ``pipelines.cvdw_source`` would load dlt (~1 s)
    for every world.
    """
    path = Path(__file__).resolve().parent.parent / "pipelines/cvdw_source/catalogue.json"
    paths = json.loads(path.read_text(encoding="utf-8"))["paths"]
    return {p: frozenset(v["columns"]) for p, v in paths.items()}


class Shape:
    """The profile's edit of every row of one path (a table's ``shape``).

    Which fields are left out or nulled depends on the fields the path sends,
    so it is fixed from the first rendered row (a probe at attach time, or the
    first row served if the path had none yet).
    """

    __slots__ = ("path", "rng", "omit", "null", "drop", "nulls", "rename", "extra",
                 "override")

    def __init__(self, path: str, rng: random.Random, profile: Profile) -> None:
        self.path, self.rng = path, rng
        self.omit, self.null = rng.uniform(*profile.omit), rng.uniform(*profile.null)
        self.drop: tuple[str, ...] | None = None
        self.nulls: tuple[str, ...] = ()
        self.rename: list[tuple[str, dict]] = []
        self.extra: list[tuple[str, Callable[[int], Any], int]] = []
        self.override: dict[str, dict] = {}

    def configure(self, row: dict) -> None:
        """Choose the fields left out and nulled among the optional documented ones."""
        docs = documented().get(self.path, frozenset())
        optional = sorted(k for k in row if k in docs and k not in CORE_FIELDS)
        n_drop = round(self.omit * len(optional))
        n_null = min(round(self.null * len(optional)), len(optional) - n_drop)
        chosen = self.rng.sample(optional, n_drop + n_null)
        self.drop, self.nulls = tuple(sorted(chosen[:n_drop])), tuple(sorted(chosen[n_drop:]))

    def __call__(self, row: dict) -> dict:
        if self.drop is None:
            self.configure(row)
        for field, names in self.rename:
            value = row[field]
            row[field] = names.get(value, value)
        for field in self.drop:  # type: ignore[union-attr]
            del row[field]
        for field in self.nulls:
            row[field] = None
        if self.extra:
            key = crc32(row["referencia"].encode())
            for field, value, mult in self.extra:
                row[field] = value(key * mult >> 40)  # multiplicative hash: cheap, per field
        if self.override:
            changes = self.override.get(row["referencia"])
            if changes:
                row.update(changes)
        return row


class Account:
    """A profile applied to one world: the shapes it installed and what it injected."""

    def __init__(self, world: World, profile: Profile) -> None:
        self.profile, self.world_seed = profile, world.seed
        unknown = set(profile.empty_paths) - set(world.tables)
        if unknown:
            raise ValueError(f"profile {profile.name}: no such paths {sorted(unknown)}")
        self.shapes = {p: Shape(p, self._rng("fields", p), profile) for p in world.tables}
        self.names: dict[str, dict[str, str]] = {}
        self.ids: dict[str, dict[int, int]] = {}
        if profile.own_names:
            self._vocabulary()
        self._undocumented(world)
        self.anomalies = self._anomalies(world) if profile.anomalies else {}
        for path, tab in world.tables.items():
            tab.shape = self.shapes[path]
            tab.blank = path in profile.empty_paths
            if len(tab):
                self.shapes[path].configure(world.render.fn(path)(tab, 0))

    def _rng(self, *purpose: str) -> random.Random:
        """A generator of its own per purpose, so one choice never shifts another."""
        return random.Random(":".join((str(self.profile.seed), str(self.world_seed), *purpose)))

    # ------------------------------------------------------------ vocabulary
    def _vocabulary(self) -> None:
        for group, (pools, canonical_ids, top) in _GROUPS.items():
            rng = self._rng("names", group)
            names: dict[str, str] = {}
            for canonical, pool in pools.items():
                free = [n for n in pool if n not in names.values()]
                names[canonical] = rng.choice(free)
            if group == "serie" and self.profile.unclassified_serie:
                names[UNCLASSIFIED_OF] = self.profile.unclassified_serie
            new_ids = rng.sample(range(1, top + 1), len(canonical_ids))
            self.names[group] = names
            self.ids[group] = {canonical_ids[c]: i for c, i in zip(pools, new_ids, strict=True)}
        for path, field, group, kind in _RENAMED:
            table = self.names[group] if kind == "name" else self.ids[group]
            self.shapes[path].rename.append((field, table))

    # ---------------------------------------------------------- undocumented
    def _undocumented(self, world: World) -> None:
        rng = self._rng("undocumented")
        served = [p for p in world.tables if p not in self.profile.empty_paths]
        for path in rng.sample(served, min(self.profile.undocumented_paths, len(served))):
            docs = documented().get(path, frozenset())
            names = sorted(n for n in UNDOCUMENTED if n not in docs)
            for name in sorted(rng.sample(names, rng.randint(2, 5))):
                mult = rng.getrandbits(64) | 1  # odd: a field's own stable hash of the row
                self.shapes[path].extra.append((name, UNDOCUMENTED[name], mult))

    # ------------------------------------------------------------- anomalies
    def _anomalies(self, world: World) -> dict[str, list[int]]:
        """Inject each kind of the profile; returns kind -> sorted ids it touched."""
        rng = self._rng("anomalies")
        lo, hi = self.profile.anomaly_count
        comissoes = world.tables["comissoes"]
        pool = [i for i, c in enumerate(comissoes.ents) if not c.zero]
        rng.shuffle(pool)  # disjoint draws: each commission carries one anomaly at most
        out: dict[str, list[int]] = {}
        for kind in self.profile.anomalies:
            n = rng.randint(lo, hi)
            if kind == "venda_ausente_em_reservas":
                out[kind] = _hide_sales(world, rng, n)
                continue
            rows, pool = pool[:n], pool[n:]
            for k, i in enumerate(rows):
                self._override(comissoes, i, _COMMISSION_EDITS[kind](rng, k))
            out[kind] = sorted(comissoes.ents[i].id for i in rows)
        return {k: v for k, v in out.items() if v}

    def _override(self, tab: Table, i: int, changes: dict) -> None:
        self.shapes[tab.path].override.setdefault(tab.ref[i], {}).update(changes)

    # ----------------------------------------------------------------- views
    def fields(self) -> dict[str, dict[str, list[str]]]:
        """Per path: the fields left out, nulled and added (paths known so far)."""
        return {p: {"omitted": list(s.drop), "nulled": list(s.nulls),
                    "undocumented": sorted(name for name, _, _ in s.extra)}
                for p, s in self.shapes.items() if s.drop is not None}


def _negative(rng: random.Random, k: int) -> dict:
    """A negative paid or still-to-pay value, as reversed payments leave them."""
    value = -12222.22 if k == 0 else -round(rng.uniform(500, 25000), 2)
    return {("valor_pagamento", "valor_comissao_apagar")[k % 2]: value}


def _bad_percent(rng: random.Random, k: int) -> dict:
    """2.00 % typed as 200, 60.00 as 6000."""
    return {"porcentagem_comissao": (200, 6000)[k % 2]}


def _orphan(rng: random.Random, k: int) -> dict:
    """A reservation id from before the account's first (ids start at 1001): never served."""
    return {"idreserva": 101 + k * 97 + rng.randrange(90)}


_COMMISSION_EDITS: dict[str, Callable[[random.Random, int], dict]] = {
    "comissao_valor_negativo": _negative,
    "comissao_percentual_fora_da_faixa": _bad_percent,
    "comissao_sem_reserva": _orphan,
}


def _hide_sales(world: World, rng: random.Random, n: int) -> list[int]:
    """Active sales left off the reservas path (they stay on vendas)."""
    vendas = world.tables["vendas"]
    sold = [r for i, r in enumerate(vendas.ents) if vendas.ativo[i] == "S"]
    chosen = rng.sample(sold, min(n, len(sold)))
    world.tables["reservas"].hide(r.row for r in chosen)
    return sorted(r.id for r in chosen)
