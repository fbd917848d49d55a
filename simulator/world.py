"""A deterministic, internally consistent CVCRM account behind the CVDW API.

The world is an event simulation: units are imported and released in waves,
reservations arrive on free units and later turn into sales or cancellations,
some sales become distratos, commissions get paid, repasses move through the
bank. Every event stamps the rows it changes, so ``referencia_data`` always
means "last change" and is never after ``now``. Everything comes from one
``random.Random(seed)``; the wall clock is never read. Events planned after
``now`` stay queued, which is what :meth:`World.advance` plays forward.

The commercial funnel (:mod:`simulator.funnel`: leads, visits, pastas, their
history), the price tables (:mod:`simulator.prices`), the reservations' flags,
the repasse history and its last step ("Recurso liberado") came later: they
draw only from a second generator, ``frng``, and stamp with :meth:`World._fst`,
so for a given seed every event that existed before them happens as it did.

An optional account profile (:mod:`simulator.profiles`) changes how rows are
served (fields, names, empty paths, anomalies), never which events happen.
"""
from __future__ import annotations

import gc
import heapq
from collections.abc import Callable
from datetime import datetime
from itertools import count
from typing import Any

from . import pools as P
from .entities import Atd, Change, Comm, Cond, Corr, Emp, Hist, Imob, Lead, Pag, Rep, Reserva, Unit, USit
from .funnel import Funnel, FunnelRates
from .prices import Prices
from .profiles import Account, Profile, resolve
from .render import Renderer
from .table import Table
from .timefmt import DAY, ZERO, fmt_dt, from_ts, midnight, parse_dt, to_ts

PATHS: tuple[str, ...] = (
    "reservas", "reservas/condicoes", "reservas/historico/situacoes", "vendas",
    "distratos", "comissoes", "comissoes/pagamentos", "unidades",
    "unidades/situacao", "repasses", "atendimentos", "corretores",
    "imobiliarias", "leads", "leads/visitas", "leads/historico/situacoes", "precadastros",
    "precadastro/historico/situacoes", "reservas/registros/flags",
    "repasses/historico/situacoes", "unidades/precos",
)
FLAGS, REP_HIST = "reservas/registros/flags", "repasses/historico/situacoes"
_NO_ATIVO = {"unidades", "unidades/situacao"}
HOUR = 3600


class World:
    """The simulated account; see the module docstring.

    ``profile`` (a :class:`~simulator.profiles.Profile` or the name of one in
    ``PROFILES``) makes it serve rows the way that kind of account does;
    ``funnel`` (:class:`~simulator.funnel.FunnelRates`) sets the funnel's rates and lags.
    """

    def __init__(self, seed: int = 1, size: int = 2000,
                 now: datetime = datetime(2026, 11, 1, 10, 0, 0),
                 profile: Profile | str | None = None,
                 funnel: FunnelRates | None = None) -> None:
        self.seed, self.size = seed, size
        self.profile = resolve(profile)  # before the build: a bad name fails at once
        self.rng = P.FastRandom(seed)
        self.frng = P.FastRandom(seed * 1_000_003 + 12)  # the funnel's own: see the module doc
        self.now = to_ts(now)
        self.start = self.now - 3 * 365 * DAY
        # Batch jobs stamp rows on a grid sized so that ties of ~2-60 rows
        # are common whatever the world size.
        self.grid = max(600, int(3 * 365 * DAY * 12 / (0.4 * max(size, 1))))
        self.tables = {p: Table(p, p not in _NO_ATIVO) for p in PATHS}
        self._ids = {k: count(start) for k, start in (
            ("res", 1001), ("cond", 50001), ("hist", 70001), ("comm", 3001),
            ("pag", 9001), ("rep", 501), ("lead", 8001), ("atd", 201),
            ("unit", 101), ("cliente", 20001))}
        self._heap: list[tuple[int, int, str, Any]] = []
        self._hseq = count()
        self.pool: list[Unit] = []
        self.waiting: list[int] = []
        self.horizon = self.now
        self._track: dict[str, dict[str, set[int]]] | None = None
        self._ticks: dict[int, str] = {}
        self.imobs: list[Imob] = []
        self.corrs: list[Corr] = []
        self.emps: list[Emp] = []
        self.units: list[Unit] = []
        self.leads: list[Lead] = []
        self.reservas: list[Reserva] = []
        self.sold: list[Reserva] = []  # in the order they sold: whom after-sale tickets come from
        self.funnel = Funnel(self, funnel or FunnelRates())
        self.prices = Prices(self, self.funnel.rates)
        self._rhist = count(30001)  # idhistorico of repasses/historico/situacoes
        enabled = gc.isenabled()
        gc.disable()  # millions of small objects: cyclic GC passes only cost time
        try:
            self._build()
        finally:
            if enabled:
                gc.enable()
        gc.freeze()  # keep the world out of later collections (page latency)
        self.render = Renderer(self)
        self.account = Account(self, self.profile) if self.profile else None

    # -------------------------------------------------------------- profile
    @property
    def profile_anomalies(self) -> dict[str, list[int]]:
        """Injected anomalies: kind -> sorted ids (idcomissao, or idreserva for
        ``venda_ausente_em_reservas``); only kinds injected; {} without a profile."""
        return self.account.anomalies if self.account else {}

    @property
    def profile_fields(self) -> dict[str, dict[str, list[str]]]:
        """Per path: ``omitted``, ``nulled`` and ``undocumented`` field names."""
        return self.account.fields() if self.account else {}

    @property
    def profile_names(self) -> dict[str, dict[str, str]]:
        """The account's names: group (``reserva``, ``comissao``, ``serie``, ``lead``,
        ``precadastro``, ``repasse``) -> canonical name -> name served."""
        return self.account.names if self.account else {}

    # ------------------------------------------------------------------ API
    def rows(self, path: str) -> list[dict]:
        """Every row of ``path`` in serving order (current versions)."""
        tab = self.tables[path]
        order, _ = tab.index()
        fn = self.render.fn(path)
        return [tab.decorate(fn(tab, i)) for i in order]

    def page(self, path: str, lo: str | None, hi: str | None,
             offset: int, limit: int) -> tuple[int, list[dict]]:
        """(total matching, rendered rows ``offset:offset+limit``) for the API."""
        tab = self.tables[path]
        a, b = tab.bounds(lo, hi)
        order, _ = tab.index()
        fn = self.render.fn(path)
        ids = order[a + offset:min(b, a + offset + limit)] if offset >= 0 else []
        return b - a, [tab.decorate(fn(tab, i)) for i in ids]

    def touch(self, path: str, referencia: str) -> None:
        """Edit one row now: it gets a moment newer than any in its path."""
        tab = self.tables[path]
        i = tab.find(str(referencia))
        t = max(self.now, parse_dt(max(tab.max_rdate(), fmt_dt(self.start))) + 1)
        self.now = max(self.now, t)
        tab.stamp(i, fmt_dt(t))

    def touch_oldest(self, path: str, k: int = 1) -> list[str]:
        """Touch the ``k`` oldest non-zero-date rows; returns their referencias."""
        tab = self.tables[path]
        refs = [tab.ref[i] for i in tab.oldest_nonzero(k)]
        for ref in refs:
            self.touch(path, ref)
        return refs

    def add_field(self, path: str, name: str,
                  value_fn_or_value: Any | Callable[[dict], Any]) -> None:
        """Schema drift: a new field in every row of ``path`` from now on.

        A callable gets the rendered row dict and returns the value.
        """
        self.tables[path].add_field(name, value_fn_or_value)

    def advance(self, days: int = 7) -> dict[str, dict[str, int]]:
        """Move ``now`` forward, playing queued and new events.

        New reservations (and everything that follows from them) arrive, queued
        outcomes happen (sales, cancellations, distratos, payments), a few rows
        are edited or soft-deleted. Returns per path counts of added, changed
        and deleted rows.
        """
        old, new = self.now, self.now + days * DAY
        self.horizon = new
        self._track = {p: {"added": set(), "changed": set(), "deleted": set()}
                       for p in PATHS}
        self._schedule_period(old, new, days)
        self._run(new)
        self.now = new
        track, self._track = self._track, None
        return {p: {"added": len(v["added"]),
                    "changed": len(v["changed"] - v["added"]),
                    "deleted": len(v["deleted"])} for p, v in track.items()}

    # ------------------------------------------------------------ plumbing
    def _st(self, t: int) -> str:
        """Stamp for a change at ``t``: exact, or the next batch-job tick."""
        if self.rng.random() < 0.45:
            g = (t // self.grid + 1) * self.grid
            if g <= self.horizon:
                return self._tick(g)
        return fmt_dt(t)

    def _fst(self, t: int) -> str:
        """:meth:`_st` drawing from ``frng``: the stamp of a funnel, price or flag change."""
        if self.frng.random() < 0.45:
            g = (t // self.grid + 1) * self.grid
            if g <= self.horizon:
                return self._tick(g)
        return fmt_dt(t)

    def _tick(self, g: int) -> str:
        """A batch-job tick's stamp, one string shared by every row it stamps (memory)."""
        stamp = self._ticks.get(g)
        if stamp is None:
            stamp = self._ticks[g] = fmt_dt(g)
        return stamp

    def _push(self, t: int, kind: str, obj: Any = None) -> None:
        heapq.heappush(self._heap, (t, next(self._hseq), kind, obj))

    def _add(self, path: str, ent: Any, ref: str, stamp: str,
             ativo: str | None = "S") -> int:
        i = self.tables[path].add(ent, ref, stamp, ativo)
        if self._track is not None:
            self._track[path]["added"].add(i)
        return i

    def _add_many(self, path: str, ents: list, refs: list[str], stamp: str) -> range:
        """:meth:`_add` for a batch of active rows sharing one stamp."""
        rows = self.tables[path].extend(ents, refs, stamp)
        if self._track is not None:
            self._track[path]["added"].update(rows)
        return rows

    def _stamp(self, path: str, i: int, stamp: str) -> None:
        if self.tables[path].stamp(i, stamp) and self._track is not None:
            self._track[path]["changed"].add(i)

    def _delete(self, path: str, i: int, stamp: str) -> None:
        tab = self.tables[path]
        if tab.ativo[i] == "N":
            return
        tab.ativo[i] = "N"
        self._stamp(path, i, stamp)
        if self._track is not None:
            self._track[path]["deleted"].add(i)

    def _run(self, until: int) -> None:
        """Play queued events up to ``until``; later ones stay queued."""
        heap = self._heap
        handlers = {
            "rel": self._on_release, "arr": self._on_arrival,
            "an": self._on_analysis, "sale": self._on_sale,
            "cancel": self._on_cancel, "dist": self._on_distrato,
            "clib": self._on_comm_lib, "cpay": self._on_comm_pay,
            "rep": self._on_repasse, "lead": self._on_lead, "atd": self._on_atd,
            "atdu": self._on_atd_step, "touch": self._on_touch, "del": self._on_del,
            "take": self._reserve, "rlib": self._on_release_funds, "flag": self._on_flag,
            "price": self.prices.on_publish, **self.funnel.handlers(),
        }
        while heap and heap[0][0] <= until:
            t, _, kind, obj = heapq.heappop(heap)
            handlers[kind](t, obj)

    def _id(self, kind: str) -> int:
        return next(self._ids[kind])

    def _uniform_t(self, a: int, b: int) -> int:
        return self.rng.randint(a, max(a, b))

    # --------------------------------------------------------------- build
    def _build(self) -> None:
        self._build_imobs_corrs()
        self._build_emps_units()
        self.prices.plan()
        self._schedule_history()
        self._run(self.now)
        self._add_zero_date_rows()

    def _build_imobs_corrs(self) -> None:
        rng, size = self.rng, self.size
        for k in range(max(3, round(size / 100))):
            cidade, uf = rng.choice(P.CITIES)
            im = Imob(id=k + 1, nome=P.imob_name(rng, k), cidade=cidade, uf=uf,
                      cnpj=P.cnpj(rng), t_cad=self.start - rng.randint(30, 900) * DAY)
            im.razao = im.nome.replace("Imobiliária ", "") + " Empreendimentos Ltda"
            im.row = self._add("imobiliarias", im, str(im.id), self._st(im.t_cad))
            self.imobs.append(im)
        for k in range(max(5, round(size / 20))):
            t = self.start - rng.randint(1, 700) * DAY
            c = Corr(id=k + 1, imob=rng.choice(self.imobs), nome=P.person(rng),
                     categoria=rng.choice(P.CATEGORIAS), nivel=rng.choice(P.NIVEIS),
                     creci=f"{rng.randint(10000, 299999)}-F", t_cad=t)
            c.row = self._add("corretores", c, str(c.id), self._st(t))
            self.corrs.append(c)

    def _build_emps_units(self) -> None:
        rng = self.rng
        n_emp = max(2, round(self.size / 300))
        span = self.now - 90 * DAY - self.start
        step = span // n_emp
        launches = [self.start + 15 * DAY + k * step + rng.randint(0, step // 2)
                    for k in range(n_emp)]
        weights = [rng.uniform(0.6, 1.4) for _ in range(n_emp)]
        total_units = max(n_emp * 4, round(1.3 * self.size))
        per = [max(4, int(total_units * w / sum(weights))) for w in weights]
        for k, launch in enumerate(launches):
            self._build_emp(k + 1, launch, per[k])

    def _build_emp(self, eid: int, launch: int, n_units: int) -> None:
        rng = self.rng
        cidade, _ = rng.choice(P.CITIES)
        n_et = rng.randint(1, 3)
        e = Emp(id=eid, nome=P.emp_name(rng, eid), code=f"EMP{eid:03d}",
                regiao=rng.choice(P.REGIOES), cidade=cidade, tipo=rng.choice(P.TIPOS_EMP),
                etapas=[(eid * 10 + j, f"Etapa {j + 1}") for j in range(n_et)],
                blocos=[], t_import=launch - rng.randint(20, 60) * DAY,
                entrega=launch + rng.randint(700, 1100) * DAY)
        for j in range(n_et):
            for b in range(rng.randint(1, 3)):
                e.blocos.append((eid * 100 + j * 10 + b, f"Torre {chr(65 + b)}", j))
        self.emps.append(e)
        stamp = fmt_dt(e.t_import)  # one import: a big tie group
        waves = [launch + j * rng.randint(60, 200) * DAY for j in range(n_et)]
        by_wave: list[list[Unit]] = [[] for _ in range(n_et)]
        per_bloco = max(1, n_units // len(e.blocos))
        for k in range(n_units):
            bi = min(k // per_bloco, len(e.blocos) - 1)
            pos = k - bi * per_bloco
            u = self._new_unit(e, e.blocos[bi], pos, waves[e.blocos[bi][2]])
            self.units.append(u)
            u.row = self._add("unidades", u, str(u.id), stamp, None)
            by_wave[e.blocos[bi][2]].append(u)
        for j, units in enumerate(by_wave):
            if units:
                self._push(waves[j], "rel", units)

    def _new_unit(self, e: Emp, bloco: tuple, pos: int, wave: int) -> Unit:
        rng = self.rng
        andar, col = pos // 4 + 1, pos % 4 + 1
        area = round(rng.uniform(38, 140), 2)
        price = area * rng.uniform(5500, 11000)
        cents = round(price / 1000) * 100000 if rng.random() < 0.35 else round(price * 100)
        lib: Any = wave
        r = rng.random()
        if r < 0.02:
            lib = None
        elif r < 0.03:
            lib = ""
        return Unit(id=self._id("unit"), emp=e, etapa=e.etapas[bloco[2]], bloco=bloco,
                    nome=f"{andar}{col:02d}", andar=andar, coluna=col, area=area,
                    vagas=rng.choice((0, 1, 1, 2)), area_comum=round(area * 0.31, 2),
                    tipologia=P.tipologia(area), cents=cents, liberar=lib, status=4,
                    who=P.person(rng), nlog=0, t_bloq=e.t_import, t_rel=wave)

    def _schedule_history(self) -> None:
        """Queue every arrival and side activity of the initial 3 years."""
        rng, size = self.rng, self.size
        released = [u.t_rel for u in self.units if u.t_rel < self.now - DAY]
        for _ in range(size):
            t0 = rng.choice(released)
            t = t0 + HOUR + int(rng.expovariate(1 / (200 * DAY)))
            if t > self.now - 2 * HOUR:
                t = self._uniform_t(t0 + HOUR, self.now - 2 * HOUR)
            self._push(t, "arr")
        self._import_leads()
        self._schedule_side(self.start + 20 * DAY, self.now, size / 3, size / 5, 1.0)
        self.funnel.schedule_prospects(self.start + 20 * DAY, self.now - 2 * HOUR,
                                       round(size * self.funnel.rates.prospects_per_reservation))

    def _schedule_side(self, a: int, b: int, n_leads: float, n_atd: float,
                       frac: float) -> None:
        """Queue unlinked leads, service cases and small edits in ``[a, b]``."""
        rng = self.rng
        for _ in range(max(1, round(n_leads))):
            self._push(self._uniform_t(a, b), "lead")
        for _ in range(max(1, round(n_atd))):
            self._push(self._uniform_t(a, b), "atd")
        for path, ents in (("corretores", self.corrs), ("imobiliarias", self.imobs)):
            for ent in ents:
                if ent.t_cad is not None and rng.random() < 0.3 * frac:
                    self._push(self._uniform_t(a, b), "touch", (path, ent.row))

    def _import_leads(self) -> None:
        """A spreadsheet import: many leads sharing one timestamp."""
        rng = self.rng
        t = self.start + int((self.now - self.start) * 0.4)
        stamp = fmt_dt(t)
        for _ in range(self.size // 8 + 1):
            ld = Lead(id=self._id("lead"), t_cad=t, emp=rng.choice(self.emps),
                      corr=None, sit="Aguardando atendimento", origem="Importação",
                      midia=None, conversao="Planilha")
            ld.row = self._add("leads", ld, str(ld.id), stamp)
            self.leads.append(ld)
            self.funnel.imported(ld, t, stamp)

    def _add_zero_date_rows(self) -> None:
        """Legacy rows with zero dates, as seen in real payloads."""
        rng = self.rng
        sold = [r for r in self.reservas if r.t_venda is not None]
        for _ in range(max(2, self.size // 150)):
            if not sold:
                break
            r = rng.choice(sold)
            c = self._new_comm(r, None)
            c.zero = True
            c.row = self._add("comissoes", c, str(c.id), ZERO, "N")
        for c in rng.sample(self.corrs, max(1, len(self.corrs) // 40)):
            c.t_cad = None  # built before any index exists: plain overwrite
            self.tables["corretores"].rdate[c.row] = ZERO

    # ------------------------------------------------------------- advance
    def _schedule_period(self, old: int, new: int, days: int) -> None:
        rng = self.rng
        n_arrivals = max(2, round(self.size * days / (3 * 365) * 1.2))
        for _ in range(n_arrivals):
            self._push(self._uniform_t(old + 1, new), "arr")
        frac = days / (3 * 365)
        self._schedule_side(old + 1, new, self.size / 3 * frac + 1,
                            self.size / 5 * frac + 1, frac * 10)
        for path in ("reservas", "vendas", "leads", "atendimentos", "unidades"):
            n = self._edit_pool(path)
            for _ in range(max(1, n // 200)):
                self._push(self._uniform_t(old + 1, new), "touch",
                           (path, self._edit_row(path, rng.randrange(n))))
        for path in ("leads", "atendimentos", "corretores", "reservas"):
            n = self._edit_pool(path)
            for _ in range(max(1, n // 300)):
                self._push(self._uniform_t(old + 1, new), "del",
                           (path, self._edit_row(path, rng.randrange(n))))
        self.funnel.schedule_prospects(old + 1, new, round(
            n_arrivals * self.funnel.rates.prospects_per_reservation))

    def _edit_pool(self, path: str) -> int:
        """How many rows random edits pick from: of leads, those of :attr:`leads` only, as
        before prospects shared the table (the same draws pick the same leads)."""
        return len(self.leads) if path == "leads" else len(self.tables[path])

    def _edit_row(self, path: str, k: int) -> int:
        return self.leads[k].row if path == "leads" else k

    # -------------------------------------------------------------- events
    def _on_release(self, t: int, units: list[Unit]) -> None:
        stamp = fmt_dt(t)  # a whole wave is released in one operation
        for u in units:
            self._unit_sit(u, 1, t, stamp)
            self._free(u, t)

    def _free(self, u: Unit, t: int) -> None:
        """A unit becomes available; a waiting client takes it at once."""
        if self.waiting:  # the client shows up within a few days
            heapq.heappop(self.waiting)
            self._push(t + self.rng.randint(HOUR, 5 * DAY), "take", u)
        else:
            self.pool.append(u)

    def _on_arrival(self, t: int, _: Any) -> None:
        pool = self.pool
        if not pool:
            heapq.heappush(self.waiting, t)
            return
        k = self.rng.randrange(len(pool))
        pool[k], pool[-1] = pool[-1], pool[k]
        self._reserve(t, pool.pop())

    def _unit_sit(self, u: Unit, status: int, t: int, stamp: str) -> None:
        """Change a unit's map status and log it in ``unidades/situacao``."""
        de = P.UNIT_SIT[u.status]
        u.status, u.nlog = status, u.nlog + 1
        u.who = P.person(self.rng) if self.rng.random() < 0.3 else u.who
        log = USit(unit=u, n=u.nlog, t=t, de=de, para=P.UNIT_SIT[status], who=u.who)
        self._add("unidades/situacao", log, f"{u.id}_{u.nlog}", stamp, None)
        self._stamp("unidades", u.row, stamp)

    def _reserve(self, t: int, u: Unit) -> None:
        """A client reserves unit ``u`` (it must be free and released)."""
        rng = self.rng
        corr = rng.choice(self.corrs)
        r = Reserva(id=self._id("res"), unit=u, corr=corr, t_cad=t, t_mod=t,
                    idcliente=self._id("cliente") if rng.random() > 0.05 else 20001,
                    sit="Reserva", t_sit=t, tipovenda=rng.randrange(len(P.TIPOVENDA)),
                    midia=rng.randrange(len(P.MIDIAS)), comms=[])
        r.cents = self._contract_cents(u)
        stamp = self._st(t)
        r.leads = self._leads_for(r, t, stamp)
        r.idlead = ", ".join(str(ld.id) for ld in r.leads)
        r.conds = self._conditions(r, t, stamp)
        self.funnel.linked(r, t, stamp)  # needs r.fin: whether the client needs credit
        r.row = self._add("reservas", r, str(r.id), stamp)
        r.frow = self._add(FLAGS, r, str(r.id), stamp)
        self.reservas.append(r)
        self._hist(r, None, "Reserva", t, stamp)
        self._unit_sit(u, 5, t, stamp)
        self._plan(r, t)

    def _contract_cents(self, u: Unit) -> int:
        rng = self.rng
        if rng.random() < 0.5:
            return u.cents
        c = u.cents * rng.uniform(0.93, 1.0)
        return round(c / 100000) * 100000 if rng.random() < 0.3 else round(c)

    def _leads_for(self, r: Reserva, t: int, stamp: str) -> list[Lead]:
        rng = self.rng
        ld = Lead(id=self._id("lead"), t_cad=t - rng.randint(1, 90) * DAY,
                  emp=r.unit.emp, corr=r.corr, sit="Com reserva", reserva=r.id,
                  origem=rng.choice(P.ORIGENS), midia=rng.choice(P.MIDIAS),
                  conversao=rng.choice(P.CONVERSOES))
        ld.row = self._add("leads", ld, str(ld.id), stamp)
        self.leads.append(ld)
        out = [ld]
        if rng.random() < 0.15 and len(self.leads) > 1:
            old = self.leads[rng.randrange(len(self.leads) - 1)]
            self.funnel.link(old, r, t, stamp)
            out.append(old)
        return out

    def _conditions(self, r: Reserva, t: int, stamp: str) -> list[Cond]:
        """2-5 payment lines summing exactly to the contract value."""
        rng = self.rng
        financed = rng.random() < 0.55
        if financed:
            series = ["Ato", "Financiamento"] + rng.sample(
                ["FGTS", "Subsídio", "Mensais", "Sinal"], rng.randint(0, 3))
            share = {"Financiamento": 0.75, "FGTS": 0.06, "Subsídio": 0.04}
        else:
            series = ["Ato", "Mensais"] + rng.sample(
                ["Sinal", "Intermediárias", "Chaves"], rng.randint(0, 3))
            share = {"Mensais": 0.5, "Chaves": 0.2, "Intermediárias": 0.15}
        weights = [share.get(s, 0.05) * rng.uniform(0.8, 1.2) for s in series]
        total = sum(weights)
        cents = [round(r.cents * w / total) for w in weights]
        cents[-1] = r.cents - sum(cents[:-1])
        conds = []
        for s, c in zip(series, cents, strict=True):
            n = 1 if s in ("Ato", "Sinal", "Financiamento", "FGTS", "Subsídio", "Chaves") \
                else rng.choice((12, 24, 36, 48, 60) if s == "Mensais" else (2, 3, 4))
            cd = Cond(id=self._id("cond"), res=r, serie=s, n=n, cents=c,
                      t_venc=midnight(t) + rng.randint(5, 400) * DAY,
                      indexador=rng.choice(P.INDEXADORES))
            cd.row = self._add("reservas/condicoes", cd, str(cd.id), stamp)
            conds.append(cd)
        r.fin = sum(c.cents for c in conds if c.serie == "Financiamento")
        r.fgts = sum(c.cents for c in conds if c.serie == "FGTS")
        r.sub = sum(c.cents for c in conds if c.serie == "Subsídio")
        return conds

    def _plan(self, r: Reserva, t: int) -> None:
        """Decide the reservation's future; events after now stay queued."""
        rng = self.rng
        x = rng.random()
        if x < 0.72:
            t_sale = midnight(t) + rng.randint(2, 25) * DAY
            self._push(self._uniform_t(t + 2 * HOUR, min(t + 3 * DAY, t_sale - HOUR)), "an", r)
            self._push(t_sale, "sale", r)
            if rng.random() < 0.09:
                self._push(t_sale + rng.randint(30, 400) * DAY + rng.randint(8, 18) * HOUR,
                           "dist", r)
        elif x < 0.95:
            t_c = t + rng.randint(1, 30) * DAY + rng.randint(0, 8) * HOUR
            if rng.random() < 0.6:
                self._push(self._uniform_t(t + 2 * HOUR, t_c - HOUR), "an", r)
            self._push(t_c, "cancel", r)
        else:
            self._push(t + rng.randint(2, 48) * HOUR, "an", r)

    def _hist(self, r: Reserva, de: str | None, para: str, t: int, stamp: str) -> None:
        h = Hist(id=self._id("hist"), res=r, t=t, de=de, para=para,
                 user=self.rng.randint(1, 40))
        self._add("reservas/historico/situacoes", h, str(h.id), stamp)

    def _set_sit(self, r: Reserva, sit: str, t: int, stamp: str) -> None:
        self._hist(r, r.sit, sit, t, stamp)
        r.sit_prev, r.sit, r.t_sit, r.t_mod = r.sit, sit, t, t
        self._stamp("reservas", r.row, stamp)

    def _on_analysis(self, t: int, r: Reserva) -> None:
        if r.sit != "Reserva":
            return
        stamp = self._st(t)
        r.t_an = t
        self._set_sit(r, "Em análise", t, stamp)
        self._stamp(FLAGS, r.frow, stamp)
        self._unit_sit(r.unit, 2, t, stamp)

    def _on_sale(self, t: int, r: Reserva) -> None:
        rng = self.rng
        stamp = self._st(t)
        r.t_venda = t
        self.sold.append(r)
        r.t_contrato = t + rng.randint(0, 10) * DAY + rng.randint(9, 18) * HOUR
        self._set_sit(r, "Vendida", t, stamp)
        self._unit_sit(r.unit, 3, t, stamp)
        r.vrow = self._add("vendas", r, str(r.id), fmt_dt(midnight(t)))
        self.funnel.after_reservation(r, "Venda realizada", t, stamp)
        self._stamp(FLAGS, r.frow, stamp)
        self._queue_signatures(r)
        self._add_comm(r, t, stamp)
        if rng.random() < 0.04:
            self._add_comm(r, t, stamp)
        if r.fin:
            self._add_repasse(r, t, stamp)

    def _new_comm(self, r: Reserva, t: int | None) -> Comm:
        rng = self.rng
        pct = rng.choice(P.PCTS)
        contrato = P.money(r.cents)
        valor = round(contrato * pct / 100, 2)
        return Comm(id=self._id("comm"), res=r, pct=pct, valor=valor, paid=0, parts=[],
                    sit="Comissão Gerada (1)", t_cad=t, zero=False, npaid=0)

    def _add_comm(self, r: Reserva, t: int, stamp: str) -> None:
        rng = self.rng
        c = self._new_comm(r, t)
        c.row = self._add("comissoes", c, str(c.id), stamp)
        r.comms.append(c)
        self._push(t + rng.randint(3, 15) * DAY + rng.randint(8, 17) * HOUR, "clib", c)
        total = round(c.valor * 100)
        k = rng.choice((0, 1, 1, 2, 2, 3))
        for j in range(k):
            part = total // k if j < k - 1 else total - (total // k) * (k - 1)
            c.parts.append(part)
            self._push(t + (j + 1) * 30 * DAY + rng.randint(0, 10) * DAY
                       + rng.randint(8, 17) * HOUR, "cpay", c)

    def _on_comm_lib(self, t: int, c: Comm) -> None:
        if c.sit == "Comissão Gerada (1)":
            c.sit = "Liberada"
            self._stamp("comissoes", c.row, self._st(t))

    def _on_comm_pay(self, t: int, c: Comm) -> None:
        stamp = self._st(t)
        idx = c.npaid
        c.npaid += 1
        part = c.parts[idx]
        c.paid += part
        c.t_pay = t
        c.nf = "" if self.rng.random() < 0.15 else f"NF-{self.rng.randint(1000, 99999)}"
        c.sit = "Finalizado" if idx == len(c.parts) - 1 else "Aguardando NF"
        p = Pag(id=self._id("pag"), comm=c, cents=part, t_venc=midnight(t), t_pay=t)
        self._add("comissoes/pagamentos", p, str(p.id), stamp)
        self._stamp("comissoes", c.row, stamp)

    def _add_repasse(self, r: Reserva, t: int, stamp: str) -> None:
        rng = self.rng
        rep = Rep(id=self._id("rep"), res=r, step=0, t_step=t,
                  contrato="Inadimplente" if rng.random() < 0.1 else "Adimplente",
                  parcela=rng.choice(("Sim", "Não")), banco=rng.choice(P.BANCOS))
        rep.row = self._add("repasses", rep, str(rep.id), stamp)
        self._rep_change(rep, None, t, stamp)
        r.rep = rep
        self._push(t + rng.randint(10, 45) * DAY + rng.randint(8, 17) * HOUR, "rep", rep)

    def _on_repasse(self, t: int, rep: Rep) -> None:
        if self.tables["repasses"].ativo[rep.row] == "N":
            return
        prev = rep.step
        rep.step += 1
        rep.t_step = t
        if rep.step == P.REP_REGISTRADO:
            rep.t_reg = t
            lag = self.frng.randint(*self.funnel.rates.release_days) * DAY
            self._push(t + lag + self.frng.randint(1, 8) * HOUR, "rlib", rep)
        else:
            self._push(t + self.rng.randint(10, 45) * DAY, "rep", rep)
        stamp = self._st(t)
        self._stamp("repasses", rep.row, stamp)
        self._rep_change(rep, prev, t, stamp)

    def _on_release_funds(self, t: int, rep: Rep) -> None:
        """The bank pays the financed amount: the repasse's last step, "Recurso liberado"."""
        if self.tables["repasses"].ativo[rep.row] == "N":  # a distrato came first
            return
        prev, stamp = rep.step, self._fst(t)
        rep.step, rep.t_step, rep.t_lib = prev + 1, t, t
        self._stamp("repasses", rep.row, stamp)
        self._rep_change(rep, prev, t, stamp)

    def _rep_change(self, rep: Rep, de: int | None, t: int, stamp: str) -> None:
        """A row of repasses/historico/situacoes (``de``/``para``: indices of REP_STEPS)."""
        h = Change(ent=rep, t=t, de=de, para=rep.step)
        self._add(REP_HIST, h, str(next(self._rhist)), stamp)

    def _queue_signatures(self, r: Reserva) -> None:
        """The contract and the last party's signature: milestones of reservas/registros/flags."""
        lag = self.frng.randint(*self.funnel.rates.signature_days) * DAY
        self._push(r.t_contrato, "flag", r)
        self._push(r.t_contrato + lag + self.frng.randint(1, 6) * HOUR, "flag", r)

    def _on_flag(self, t: int, r: Reserva) -> None:
        if r.t_flag_contrato is None:
            r.t_flag_contrato = t
        else:
            r.t_flag_assinatura = t
        self._stamp(FLAGS, r.frow, self._fst(t))

    def _on_cancel(self, t: int, r: Reserva) -> None:
        stamp = self._st(t)
        r.t_cancel = t
        r.motivo = self.rng.choice(P.MOTIVOS_CANCEL)
        self._set_sit(r, "Cancelada", t, stamp)
        self._stamp(FLAGS, r.frow, stamp)
        self.funnel.after_reservation(r, "Em negociação", t, stamp)
        self._unit_sit(r.unit, 1, t, stamp)
        self._free(r.unit, t)

    def _on_distrato(self, t: int, r: Reserva) -> None:
        rng = self.rng
        stamp = self._st(t)
        r.t_dist = t
        r.dist_blank = rng.random() < 0.12
        r.dist_motivo = rng.choice(P.MOTIVOS_DISTRATO)
        self._set_sit(r, "Distrato", t, stamp)
        self._stamp(FLAGS, r.frow, stamp)
        r.drow = self._add("distratos", r, str(r.id), stamp)
        if r.rep is not None:
            self._delete("repasses", r.rep.row, stamp)
        self._unit_sit(r.unit, 1, t, stamp)
        self._free(r.unit, t)

    def _on_lead(self, t: int, _: Any) -> None:
        rng = self.rng
        ld = Lead(id=self._id("lead"), t_cad=t, emp=rng.choice(self.emps),
                  corr=rng.choice(self.corrs) if rng.random() < 0.7 else None,
                  sit=rng.choice(P.LEAD_SITS), origem=rng.choice(P.ORIGENS),
                  midia=rng.choice(P.MIDIAS), conversao=rng.choice(P.CONVERSOES))
        stamp = self._st(t)
        ld.row = self._add("leads", ld, str(ld.id), stamp)
        self.leads.append(ld)
        self.funnel.start(ld, t, stamp)  # its drawn situation gives way to the story

    def _on_atd(self, t: int, _: Any) -> None:
        # An after-sale ticket (cvdw-api.md, "Corrections"): a buyer asks about a unit sold
        # to them (assistência técnica, boleto...), so it names that unit and that client. The
        # draws are the ones an earlier version made, so the rest of the world stays the same.
        rng = self.rng
        picked = rng.sample(self.reservas, min(2, len(self.reservas)))
        picked = picked[:rng.choice((1, 1, 2))] if picked else []
        aid = self._id("atd")
        owners = [self._buyer(r, aid + k) for k, r in enumerate(picked) if self.sold]
        first = (owners or picked)[:1]  # before the first sale: a development's general ticket
        a = Atd(id=aid, t_cad=t, emp=first[0].unit.emp if first else rng.choice(self.emps),
                units=[r.unit for r in owners], cliente=owners[0].idcliente if owners else None,
                step=0, t_sit=t, canal=rng.randrange(len(P.CANAIS)),
                assunto=rng.randrange(len(P.ASSUNTOS)), prioridade=rng.choice("SNNN"),
                lead=rng.choice(self.leads).id if self.leads and rng.random() < 0.5 else None,
                corr=rng.choice(self.corrs), n_inter=1)
        a.row = self._add("atendimentos", a, str(a.id), self._st(t))
        self._push(t + rng.randint(1, 72) * HOUR, "atdu", a)

    def _buyer(self, r: Reserva, salt: int) -> Reserva:
        """``r`` when it is sold, else a reservation sold before now (no draw of the world's)."""
        return r if r.t_venda is not None else self.sold[salt * 2654435761 % len(self.sold)]

    def _on_atd_step(self, t: int, a: Atd) -> None:
        a.step += 1
        a.t_sit = t
        a.n_inter += self.rng.randint(1, 4)
        if a.step < len(P.ATD_SITS) - 1:
            self._push(t + self.rng.randint(1, 30) * DAY, "atdu", a)
        self._stamp("atendimentos", a.row, self._st(t))

    def _on_touch(self, t: int, obj: tuple[str, int]) -> None:
        path, i = obj
        tab = self.tables[path]
        if tab.rdate[i] == ZERO:
            return
        ent = tab.ents[i]
        if path == "corretores":
            ent.nivel = self.rng.choice(P.NIVEIS)
        elif path == "reservas":
            ent.t_mod = t
        self._stamp(path, i, self._st(t))

    def _on_del(self, t: int, obj: tuple[str, int]) -> None:
        """Soft delete; of reservations only cancelled ones (sales stay intact)."""
        path, i = obj
        tab = self.tables[path]
        if path == "reservas" and tab.ents[i].sit != "Cancelada":
            return
        if tab.rdate[i] != ZERO:
            stamp = self._st(t)
            self._delete(path, i, stamp)
            if path == "reservas":  # its flags go with it
                self._delete(FLAGS, tab.ents[i].frow, stamp)


__all__ = ["World", "PATHS", "from_ts"]
