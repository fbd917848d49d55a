"""Price tables of the simulated account (``unidades/precos``).

Each development sells first on a launch table (``Tabela Lançamento``, a few percent below list
price) from its import until some months after its first release; then on the standard table
(``Tabela Padrão``), re-published about every six months a few percent dearer (INCC-like).
Versions of one development follow each other day after day, so a unit has at most one price
in force on any day. A version is published a few days before it takes effect, in one batch
(one ``referencia_data`` for all its rows), and lists the units not sold at that moment; the
next version is queued, which is how prices reach past ``now`` and how :meth:`World.advance`
publishes new ones. Draws come from ``World.frng`` only.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from . import pools as P
from .entities import Emp, Price, PriceTable, Unit
from .timefmt import DAY, fmt_dt

if TYPE_CHECKING:
    from .funnel import FunnelRates
    from .world import World

PATH = "unidades/precos"
HOUR = 3600
PADRAO, LANCAMENTO = P.TABELAS[0], P.TABELAS[1]
_PPM = 1_000_000


def unit_price(u: Unit, table: PriceTable) -> int:
    """The unit's price in cents in that version (integer arithmetic: exact and stable)."""
    return (u.cents * table.ppm + _PPM // 2) // _PPM


class Prices:
    """Plans and publishes every development's price-table versions."""

    def __init__(self, world: World, rates: FunnelRates) -> None:
        self.w, self.rates, self.rng = world, rates, world.frng

    def plan(self) -> None:
        """The launch table of every development (with its import) and its next version queued."""
        units_of: dict[int, list[Unit]] = defaultdict(list)
        for u in self.w.units:
            units_of[u.emp.id].append(u)
        for e in self.w.emps:
            units = units_of[e.id]
            if units:
                self._launch(e, units)

    def _launch(self, e: Emp, units: list[Unit]) -> None:
        rng, rt = self.rng, self.rates
        first_release = min(u.t_rel for u in units)
        launch = PriceTable(emp=e, units=units, idtabela=LANCAMENTO[0], nome=LANCAMENTO[1], n=0,
                            d_de=e.t_import // DAY,
                            d_ate=(first_release // DAY) + rng.randint(*rt.launch_days),
                            ppm=round(_PPM * (1 - rng.uniform(*rt.launch_discount))))
        self._publish_rows(launch, units, fmt_dt(e.t_import))  # with the units' import
        self._queue_next(launch, e.t_import, ppm=_PPM)

    def _queue_next(self, prev: PriceTable, t_min: int, ppm: int) -> None:
        rng, rt = self.rng, self.rates
        d_de = prev.d_ate + 1
        nxt = PriceTable(emp=prev.emp, units=prev.units, idtabela=PADRAO[0], nome=PADRAO[1],
                         n=prev.n + 1, d_de=d_de, d_ate=d_de + rng.randint(*rt.readjust_days) - 1,
                         ppm=ppm)
        t_pub = (d_de - rng.randint(*rt.publish_days_ahead)) * DAY + rng.randint(8, 18) * HOUR
        self.w._push(max(t_pub, t_min + HOUR), "price", nxt)

    def on_publish(self, t: int, table: PriceTable) -> None:
        """Publish a version: one row per unit not sold now; queue the readjusted next one."""
        self._publish_rows(table, [u for u in table.units if u.status != 3], fmt_dt(t))
        pct = self.rng.uniform(*self.rates.readjust_pct)
        self._queue_next(table, t, ppm=round(table.ppm * (1 + pct)))

    def _publish_rows(self, table: PriceTable, units: list[Unit], stamp: str) -> None:
        suffix = f"_{table.idtabela}_{table.n}"
        self.w._add_many(PATH, [Price(unit=u, table=table) for u in units],
                         [f"{u.id}{suffix}" for u in units], stamp)
