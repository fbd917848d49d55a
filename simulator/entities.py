"""Compact entity records of the simulated CVCRM account.

Plain ``__slots__`` classes: a 200k-reservation world has millions of these,
and slots keep each one to a few dozen bytes. Moments are int seconds (see
:mod:`simulator.timefmt`); money is int cents so sums stay exact. ``row`` is
the entity's row id in its main path's :class:`~simulator.table.Table`.
"""
from __future__ import annotations

from typing import Any


class Rec:
    """Base: each subclass gets a generated keyword ``__init__`` (unset = None).

    A generated init is several times faster than a setattr loop, which
    matters when a large world creates millions of records.
    """

    __slots__: tuple[str, ...] = ()

    def __init_subclass__(cls) -> None:
        slots = cls.__slots__
        src = (f"def __init__(self, *, {', '.join(f'{s}=None' for s in slots)}):\n"
               + "".join(f"    self.{s} = {s}\n" for s in slots))
        ns: dict[str, Any] = {}
        exec(src, ns)  # noqa: S102 - trusted, generated from our own slot names
        cls.__init__ = ns["__init__"]  # type: ignore[misc]


class Imob(Rec):
    __slots__ = ("id", "nome", "razao", "cnpj", "cidade", "uf", "t_cad", "row")


class Corr(Rec):
    __slots__ = ("id", "imob", "nome", "categoria", "nivel", "creci", "t_cad", "row")


class Emp(Rec):
    __slots__ = ("id", "nome", "code", "regiao", "cidade", "tipo", "etapas",
                 "blocos", "t_import", "entrega")


class Unit(Rec):
    __slots__ = ("id", "emp", "etapa", "bloco", "nome", "andar", "coluna", "area",
                 "vagas", "area_comum", "tipologia", "cents", "liberar", "status",
                 "who", "nlog", "row", "t_bloq", "t_rel")


class Lead(Rec):
    # origem2/midia2: the last touch (origem_ultimo, midia_ultimo); step: the funnel's next move
    # (simulator.funnel); vis/pasta: its latest visit and pasta, which a reservation may cancel.
    __slots__ = ("id", "t_cad", "emp", "corr", "sit", "reserva", "origem", "midia",
                 "conversao", "row", "origem2", "midia2", "t_sit", "step", "vis", "pasta")


class Visit(Rec):
    """One ``leads/visitas`` task: booked at ``t_cad`` for ``t_data``; done iff ``t_done``."""

    __slots__ = ("id", "lead", "t_cad", "t_data", "t_done", "sit", "tipo", "virtual", "row")


class Pasta(Rec):
    """A credit file (``precadastros``); money in cents, ``motivo`` an index into its pool."""

    __slots__ = ("id", "lead", "unit", "t_cad", "sit", "sit_prev", "t_sit", "aval", "aprov",
                 "fgts", "sub", "motivo", "row")


class Change(Rec):
    """One row of a ``*/historico/situacoes`` path: entity ``ent`` went ``de`` -> ``para`` at ``t``.

    Its ``idhistorico`` is the row's ``referencia`` (no id slot: millions of these).
    """

    __slots__ = ("ent", "t", "de", "para")


class PriceTable(Rec):
    """One version of a development's price table, in force on days ``d_de``..``d_ate``.

    ``ppm`` scales each unit's list price (parts per million); ``d_*`` are day numbers.
    """

    __slots__ = ("emp", "units", "idtabela", "nome", "n", "d_de", "d_ate", "ppm")


class Price(Rec):
    __slots__ = ("unit", "table")


class Reserva(Rec):
    __slots__ = ("id", "unit", "corr", "idcliente", "idlead", "t_cad", "sit",
                 "sit_prev", "t_sit", "t_mod", "t_venda", "t_contrato", "t_cancel",
                 "t_dist", "motivo", "cents", "conds", "fin", "fgts", "sub",
                 "row", "vrow", "drow", "dist_blank", "dist_motivo", "tipovenda",
                 "midia", "comms", "rep", "pending", "leads", "t_an", "t_flag_contrato",
                 "t_flag_assinatura", "idprecadastro", "frow")


class Cond(Rec):
    __slots__ = ("id", "res", "serie", "n", "cents", "t_venc", "indexador", "row")


class Hist(Rec):
    __slots__ = ("id", "res", "t", "de", "para", "user")


class Comm(Rec):
    __slots__ = ("id", "res", "pct", "valor", "paid", "parts", "sit", "t_cad",
                 "t_pay", "nf", "row", "zero", "npaid")


class Pag(Rec):
    __slots__ = ("id", "comm", "cents", "t_venc", "t_pay")


class Rep(Rec):
    __slots__ = ("id", "res", "step", "t_step", "t_reg", "t_lib", "contrato", "parcela",
                 "banco", "row")


class USit(Rec):
    __slots__ = ("unit", "n", "t", "de", "para", "who")


class Atd(Rec):
    __slots__ = ("id", "t_cad", "emp", "units", "cliente", "step", "t_sit", "canal",
                 "assunto", "prioridade", "lead", "corr", "n_inter", "row")
