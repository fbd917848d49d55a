"""The commercial funnel of the simulated account: leads, visits, pastas and their history.

Every lead tells one story (cvdw-api.md, "Corrections": ``leads`` -> ``leads/visitas`` ->
``precadastros`` -> ``reservas``): it arrives ("Aguardando atendimento"), a broker attends it,
a visit is booked and done or missed, a pasta (credit file) is opened and approved, refused or
cancelled, and the lead either reserves or is discarded. Each situation change is a row of
``leads/historico/situacoes``, each pasta change one of ``precadastro/historico/situacoes``.

Two kinds of lead:

- A reservation's lead (``World._leads_for``) is created when the reservation is, with a
  ``data_cad`` in the past: :meth:`Funnel.linked` writes its whole story between ``data_cad``
  and the reservation at once, recorded with the reservation's stamp (the lead row itself
  first appears then), and gives the reservation its approved pasta (``idprecadastro``).
- Every other lead moves forward through queued events (kinds ``fl``, ``fv``, ``fp``) and
  never reserves: :meth:`Funnel.start`. Extra "prospect" leads (``pro``) make the lead ->
  venda conversion plausible; their ids come after every other lead's.

All draws come from ``World.frng``, never from the world's main generator, so the events
that existed before the funnel (and every row they produce) stay the same for a given seed.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, fields
from itertools import count
from typing import TYPE_CHECKING, Any

from . import pools as P
from .entities import Change, Emp, Lead, Pasta, Reserva, Visit
from .timefmt import DAY, midnight

if TYPE_CHECKING:
    from .world import World

HOUR = 3600
LEADS, VISITS, LEAD_HIST = "leads", "leads/visitas", "leads/historico/situacoes"
PASTAS, PASTA_HIST = "precadastros", "precadastro/historico/situacoes"
# A lead's next move (``Lead.step``); linked stories also use DONE, REFUSE and APPROVE.
ATTEND, BOOK, REVISIT, PASTA, NEGOTIATE, DISCARD, DONE, REDONE, REFUSE, APPROVE = range(10)


def _office_hours(m: int, lo: int, hi: int) -> int:
    """``m`` moved into 08:00-20:00 of its day, kept in ``[lo, hi]``: a monotone map, so
    sorted moments stay sorted."""
    return max(lo, min(hi, midnight(m) + 8 * HOUR + m % DAY // 2))


@dataclass(frozen=True)
class FunnelRates:
    """Rates (shares in 0..1) and lags (inclusive ``(low, high)`` ranges) of the funnel.

    The defaults follow what Brazilian developers report: a minority of leads visit, about a
    third of those open a pasta, most pastas of reservations are approved. Prices are here too:
    they are the other part of the account's commercial configuration.
    """

    prospects_per_reservation: float = 1.0  # extra leads that never reserve, per reservation
    last_touch_differs: float = 0.25        # origem/mídia of the last conversion differ from the first
    # leads that never reserve, step by step
    attend: float = 0.85                    # a broker takes the lead (else it is discarded)
    attend_hours: tuple[int, int] = (1, 72)
    book_visit: float = 0.4                 # an attended lead books a visit
    book_days: tuple[int, int] = (1, 14)
    visit_ahead_days: tuple[int, int] = (1, 10)  # booking -> the visit's day
    show_up: float = 0.7                    # a booked visit is done (else cancelled or missed)
    rebook: float = 0.35                    # after a missed visit, another one is booked
    revisit: float = 0.2                    # after a first visit done, a revisit is booked
    virtual_visit: float = 0.12
    pasta: float = 0.35                     # a visited lead opens a pasta
    pasta_days: tuple[int, int] = (2, 21)   # visit done -> pasta
    credit_days: tuple[int, int] = (2, 15)  # pasta -> the bank's answer
    approve: float = 0.6
    refuse: float = 0.3                     # the rest of the pastas are cancelled
    negotiate: float = 0.3                  # a stalled lead goes on negotiating (else stays as is)
    discard: float = 0.6                    # a stalled lead is discarded in the end
    discard_days: tuple[int, int] = (7, 60)
    # leads of reservations: what happened between their data_cad and the reservation
    linked_attend: float = 0.8
    linked_visit: float = 0.9
    linked_pasta_financed: float = 0.92     # financed reservations (a Financiamento series)
    linked_pasta_cash: float = 0.05
    linked_refused_first: float = 0.1       # a first pasta refused, a second one approved
    # after the sale
    signature_days: tuple[int, int] = (0, 5)   # contract -> every party signed
    release_days: tuple[int, int] = (3, 30)    # repasse "Registrado" -> "Recurso liberado"
    # price tables (unidades/precos)
    launch_discount: tuple[float, float] = (0.05, 0.12)
    launch_days: tuple[int, int] = (90, 180)   # launch table in force after the first release
    readjust_days: tuple[int, int] = (165, 200)  # each standard version's vigência
    readjust_pct: tuple[float, float] = (0.02, 0.05)
    publish_days_ahead: tuple[int, int] = (1, 10)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                if not 0 <= value[0] <= value[1]:
                    raise ValueError(f"FunnelRates.{f.name}: want 0 <= low <= high, got {value}")
            elif f.name != "prospects_per_reservation" and not 0 <= value <= 1:
                raise ValueError(f"FunnelRates.{f.name}: a share in 0..1, got {value}")
        if self.prospects_per_reservation < 0 or self.approve + self.refuse > 1:
            raise ValueError("FunnelRates: prospects_per_reservation >= 0 and approve + refuse <= 1")


class Funnel:
    """Writes the leads' stories into a world's tables (see the module docstring)."""

    def __init__(self, world: World, rates: FunnelRates) -> None:
        self.w, self.rates, self.rng = world, rates, world.frng
        # Prospects take ids above any the other leads will reach (10 x size leaves room for
        # decades of advance()), so those keep the ids they had before prospects existed.
        self.first_prospect = 10 ** len(str(8001 + 10 * max(world.size, 1000))) + 1
        self._ids = {k: count(start) for k, start in (
            ("prospect", self.first_prospect), ("visit", 500001), ("lhist", 100001), ("pasta", 40001),
            ("phist", 80001))}
        self._lead_rows = world.tables[LEADS]
        self._imports: list[int] = []  # developments' import moments, sorted, for prospects
        self._emps: list = []

    def handlers(self) -> dict[str, Callable[[int, Any], None]]:
        return {"pro": self.on_prospect, "fi": self.on_import, "fl": self.on_step,
                "fv": self.on_visit, "fp": self.on_credit}

    # ------------------------------------------------------------ plumbing
    def _days(self, span: tuple[int, int]) -> int:
        return self.rng.randint(*span) * DAY + self.rng.randint(8, 19) * HOUR

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _queue(self, ld: Lead, step: int, t: int) -> None:
        ld.step = step
        self.w._push(t, "fl", ld)

    def _open(self, ld: Lead) -> bool:
        """Still moving on its own: not linked to a reservation, not deleted."""
        return ld.reserva is None and self._lead_rows.ativo[ld.row] == "S"

    # --------------------------------------------------------- situations
    def begin(self, ld: Lead, stamp: str) -> None:
        """The lead arrives: its first history row (``de`` null) and its last touch."""
        ld.sit, ld.t_sit = "Aguardando atendimento", ld.t_cad
        self._lead_change(ld, None, ld.sit, ld.t_cad, stamp)
        self._last_touch(ld)

    def _last_touch(self, ld: Lead) -> None:
        rng, differs = self.rng, self.rates.last_touch_differs
        ld.origem2 = rng.choice(P.ORIGENS) if rng.random() < differs else ld.origem
        ld.midia2 = rng.choice(P.MIDIAS) if rng.random() < differs else ld.midia

    def move(self, ld: Lead, sit: str, t: int, stamp: str) -> None:
        """The lead's situation becomes ``sit`` at ``t``: a history row, the lead row stamped."""
        if sit != ld.sit:
            self._lead_change(ld, ld.sit, sit, t, stamp)
            ld.sit, ld.t_sit = sit, t
        self.w._stamp(LEADS, ld.row, stamp)

    def _lead_change(self, ld: Lead, de: str | None, para: str, t: int, stamp: str) -> None:
        h = Change(ent=ld, t=t, de=de, para=para)
        self.w._add(LEAD_HIST, h, str(next(self._ids["lhist"])), stamp)

    # ------------------------------------------------- leads of reservations
    def linked(self, r: Reserva, t: int, stamp: str) -> None:
        """The story of ``r``'s new lead, between its data_cad and the reservation at ``t``."""
        ld, rt, rng = r.leads[0], self.rates, self.rng
        self._last_touch(ld)
        x = rng.random
        visit = x() < rt.linked_visit
        pasta = x() < (rt.linked_pasta_financed if r.fin else rt.linked_pasta_cash)
        steps = ([ATTEND] * (x() < rt.linked_attend) + [BOOK, DONE] * visit
                 + [REVISIT, REDONE] * (visit and x() < rt.revisit)
                 + [PASTA, REFUSE] * (pasta and x() < rt.linked_refused_first)
                 + [PASTA, APPROVE] * pasta + [NEGOTIATE] * (x() < 0.5))
        lo, hi = ld.t_cad + 1, t - 1
        moments = [_office_hours(m, lo, hi) for m in sorted([rng.randint(lo, hi) for _ in steps])]
        # the lead's situations, from its arrival (de null), written at once at the end
        ld.sit, sits = None, [(ld.t_cad, "Aguardando atendimento")]
        booked = 0
        for step, m in zip(steps, moments, strict=True):
            if step == BOOK or step == REVISIT:
                booked = m
                if step == BOOK:
                    sits.append((m, "Visita agendada"))
            elif step == DONE or step == REDONE:
                self._visit_done(ld, booked, m, 1 if step == DONE else 2, stamp)
                if step == DONE:
                    sits.append((m, "Visita realizada"))
            elif step == PASTA:
                self._new_pasta(ld, m, stamp, r)
                sits.append((m, "Em análise de crédito"))
            elif step == REFUSE or step == APPROVE:
                self._decide(ld.pasta, "Aprovado" if step == APPROVE else "Reprovado", m, stamp)
                r.idprecadastro = ld.pasta.id if step == APPROVE else None
            else:
                sits.append((m, "Em atendimento" if step == ATTEND else "Em negociação"))
        sits.append((t, "Com reserva"))
        self._story(ld, sits, stamp)

    def _story(self, ld: Lead, sits: list[tuple[int, str]], stamp: str) -> None:
        """Situation changes all recorded at once (the lead row already has ``stamp``)."""
        ids, de, rows = self._ids["lhist"], ld.sit, []
        for t, para in sits:
            if para != de:
                rows.append(Change(ent=ld, t=t, de=de, para=para))
                de = para
        self.w._add_many(LEAD_HIST, rows, [str(next(ids)) for _ in rows], stamp)
        ld.sit, ld.t_sit = de, sits[-1][0]

    def link(self, ld: Lead, r: Reserva, t: int, stamp: str) -> None:
        """An earlier lead comes back and joins reservation ``r``: what it had pending stops."""
        if ld.t_sit is None:  # imported, but picked before the import's moment: see imported()
            if ld.t_cad >= t:  # a hash, not a draw: the same whatever the funnel's rates
                ld.t_cad = t - (P.h(ld.id, 41) % 90 + 1) * DAY
            self.begin(ld, stamp)
        v, p = ld.vis, ld.pasta
        if v is not None and v.sit == "Agendada":
            v.sit = "Cancelada"
            self.w._stamp(VISITS, v.row, stamp)
        if p is not None and p.sit == "Em análise":
            self._decide(p, "Cancelado", t, stamp)
        ld.reserva = r.id
        self.move(ld, "Com reserva", t, stamp)

    def after_reservation(self, r: Reserva, sit: str, t: int, stamp: str) -> None:
        """Leads follow their reservation: sold, or back to negotiating when it is cancelled."""
        for ld in r.leads:
            if sit == "Venda realizada":
                self.move(ld, sit, t, stamp)
            elif ld.reserva == r.id and ld.sit == "Com reserva":
                self.move(ld, sit, t, stamp)

    def _visit_done(self, ld: Lead, booked: int, done: int, tipo: int, stamp: str) -> None:
        rng = self.rng
        v = self._visit(ld, booked, max(booked, done - rng.randint(20, 120) * 60), tipo)
        v.sit, v.t_done = "Realizada", done
        v.row = self.w._add(VISITS, v, str(v.id), stamp)

    def _visit(self, ld: Lead, t_cad: int, t_data: int, tipo: int) -> Visit:
        v = Visit(id=next(self._ids["visit"]), lead=ld, t_cad=t_cad, t_data=t_data,
                  sit="Agendada", tipo=tipo, virtual=self._chance(self.rates.virtual_visit))
        ld.vis = v
        return v

    # -------------------------------------------------------------- pastas
    def _new_pasta(self, ld: Lead, t: int, stamp: str, r: Reserva | None = None) -> Pasta:
        rng = self.rng
        if r is not None:  # the bank values the unit reserved and finances what the series say
            aval, fin, fgts, sub = round(r.unit.cents * rng.uniform(1.0, 1.12)), r.fin, r.fgts, r.sub
            fin = fin or round(r.cents * rng.uniform(0.5, 0.8))
        else:
            aval = rng.randint(1800, 9000) * 10000
            fin = round(aval * rng.uniform(0.6, 0.8))
            fgts = round(aval * 0.05) if rng.random() < 0.4 else 0
            sub = round(aval * 0.04) if rng.random() < 0.2 else 0
        p = Pasta(id=next(self._ids["pasta"]), lead=ld, unit=r.unit if r else None, t_cad=t,
                  sit="Em análise", t_sit=t, aval=aval, aprov=fin, fgts=fgts, sub=sub)
        p.row = self.w._add(PASTAS, p, str(p.id), stamp)
        self._pasta_change(p, None, p.sit, t, stamp)
        ld.pasta = p
        return p

    def _decide(self, p: Pasta, sit: str, t: int, stamp: str) -> None:
        """The pasta's answer (or its cancellation); the refusal or cancellation motive."""
        self._pasta_change(p, p.sit, sit, t, stamp)
        p.sit_prev, p.sit, p.t_sit = p.sit, sit, t
        if sit == "Reprovado":
            p.motivo = self.rng.randrange(len(P.MOTIVOS_REPROVACAO))
        elif sit == "Cancelado":
            p.motivo = self.rng.randrange(len(P.MOTIVOS_CANCEL_PASTA))
        self.w._stamp(PASTAS, p.row, stamp)

    def _pasta_change(self, p: Pasta, de: str | None, para: str, t: int, stamp: str) -> None:
        h = Change(ent=p, t=t, de=de, para=para)
        self.w._add(PASTA_HIST, h, str(next(self._ids["phist"])), stamp)

    # --------------------------------------------- leads that never reserve
    def schedule_prospects(self, a: int, b: int, n: int) -> None:
        """Queue ``n`` prospect arrivals in ``[a, b]``."""
        rng = self.rng
        for _ in range(n):
            self.w._push(rng.randint(a, max(a, b)), "pro")

    def on_prospect(self, t: int, _: Any) -> None:
        rng, w = self.rng, self.w
        ld = Lead(id=next(self._ids["prospect"]), t_cad=t, emp=self._emp_at(t),
                  corr=rng.choice(w.corrs) if rng.random() < 0.7 else None,
                  origem=rng.choice(P.ORIGENS), midia=rng.choice(P.MIDIAS),
                  conversao=rng.choice(P.CONVERSOES))
        stamp = w._fst(t)
        ld.row = w._add(LEADS, ld, str(ld.id), stamp)
        self.start(ld, t, stamp)

    def _emp_at(self, t: int) -> Emp:
        """A development already imported at ``t`` (the first one before any is)."""
        if len(self._emps) != len(self.w.emps):
            self._emps = sorted(self.w.emps, key=lambda e: e.t_import)
            self._imports = [e.t_import for e in self._emps]
        k = bisect_right(self._imports, t)
        return self._emps[self.rng.randrange(k)] if k else self._emps[0]

    def imported(self, ld: Lead, t: int, stamp: str) -> None:
        """A lead of the spreadsheet import: its story starts at the import's moment ``t``.

        The import's rows exist from the build on, so a reservation before ``t`` may pick one
        of its leads (the world's draws have always allowed it); :meth:`link` then moves that
        lead's ``data_cad`` before the reservation, and its story starts there instead.
        """
        self.w._push(t, "fi", (ld, stamp))

    def on_import(self, t: int, obj: tuple[Lead, str]) -> None:
        ld, stamp = obj
        if ld.t_sit is None:
            self.start(ld, t, stamp)

    def start(self, ld: Lead, t: int, stamp: str) -> None:
        """An unlinked lead arrives at ``t`` and its first move is queued."""
        self.begin(ld, stamp)
        rt = self.rates
        if self._chance(rt.attend):
            self._queue(ld, ATTEND, t + self.rng.randint(rt.attend_hours[0] * HOUR,
                                                         rt.attend_hours[1] * HOUR))
        else:
            self._queue(ld, DISCARD, t + self._days(rt.discard_days))

    def on_step(self, t: int, ld: Lead) -> None:
        if not self._open(ld):
            return
        step, rt = ld.step, self.rates
        if step in (BOOK, REVISIT):
            self._book(ld, t, 1 if step == BOOK else 2)
        elif step == PASTA:
            stamp = self.w._fst(t)
            p = self._new_pasta(ld, t, stamp)
            self.move(ld, "Em análise de crédito", t, stamp)
            self.w._push(t + self._days(rt.credit_days), "fp", p)
        elif step == ATTEND:
            self.move(ld, "Em atendimento", t, self.w._fst(t))
            if self._chance(rt.book_visit):
                self._queue(ld, BOOK, t + self._days(rt.book_days))
            else:
                self._stall(ld, t)
        elif step == NEGOTIATE:
            self.move(ld, "Em negociação", t, self.w._fst(t))
            if self._chance(rt.discard):
                self._queue(ld, DISCARD, t + self._days(rt.discard_days))
        else:
            self.move(ld, "Descartado", t, self.w._fst(t))

    def _stall(self, ld: Lead, t: int) -> None:
        """The lead stops advancing: discarded later, negotiating, or left as it is."""
        rt = self.rates
        if self._chance(rt.discard):
            self._queue(ld, DISCARD, t + self._days(rt.discard_days))
        elif self._chance(rt.negotiate):
            self._queue(ld, NEGOTIATE, t + self._days(rt.book_days))

    def _book(self, ld: Lead, t: int, tipo: int) -> None:
        """A visit is booked at ``t`` for a later day; its outcome is queued at its end."""
        rng = self.rng
        day = midnight(t) + rng.randint(*self.rates.visit_ahead_days) * DAY
        v = self._visit(ld, t, day + rng.randint(9, 18) * HOUR, tipo)
        stamp = self.w._fst(t)
        v.row = self.w._add(VISITS, v, str(v.id), stamp)
        if tipo == 1:
            self.move(ld, "Visita agendada", t, stamp)
        self.w._push(v.t_data + rng.randint(20, 120) * 60, "fv", v)

    def on_visit(self, t: int, v: Visit) -> None:
        if v.sit != "Agendada":  # cancelled when the lead reserved
            return
        ld, rt = v.lead, self.rates
        stamp = self.w._fst(t)
        if not self._open(ld) or not self._chance(rt.show_up):
            v.sit = "Cancelada"
            self.w._stamp(VISITS, v.row, stamp)
            if self._open(ld):
                self._missed(ld, t, v.tipo, stamp)
            return
        v.sit, v.t_done = "Realizada", t
        self.w._stamp(VISITS, v.row, stamp)
        if v.tipo == 1:
            self.move(ld, "Visita realizada", t, stamp)
        if self._chance(rt.pasta):
            self._queue(ld, PASTA, t + self._days(rt.pasta_days))
        elif v.tipo == 1 and self._chance(rt.revisit):
            self._queue(ld, REVISIT, t + self._days(rt.book_days))
        else:
            self._stall(ld, t)

    def _missed(self, ld: Lead, t: int, tipo: int, stamp: str) -> None:
        if tipo == 1:
            self.move(ld, "Em atendimento", t, stamp)
            if self._chance(self.rates.rebook):
                self._queue(ld, BOOK, t + self._days(self.rates.book_days))
                return
        self._stall(ld, t)

    def on_credit(self, t: int, p: Pasta) -> None:
        if p.sit != "Em análise":  # cancelled when the lead reserved
            return
        ld, rt, x = p.lead, self.rates, self.rng.random()
        stamp = self.w._fst(t)
        if not self._open(ld):
            self._decide(p, "Cancelado", t, stamp)
        elif x < rt.approve:
            self._decide(p, "Aprovado", t, stamp)
            self.move(ld, "Em negociação", t, stamp)
            if self._chance(rt.discard):  # approved, yet it never reserves: it gives up
                self._queue(ld, DISCARD, t + self._days(rt.discard_days))
        elif x < rt.approve + rt.refuse:
            self._decide(p, "Reprovado", t, stamp)
            self.move(ld, "Em atendimento", t, stamp)
            self._stall(ld, t)
        else:
            self._decide(p, "Cancelado", t, stamp)
            self._queue(ld, DISCARD, t + self._days((1, 10)))
