"""The simulated account's sales targets: what its commercial director would type into
``metas.csv`` (CVDW has no targets, cvdw-api.md "Corrections").

Per development, from the month of its first sale to two months after ``now``: a target of net
sales near the development's own monthly average (±15-25 %, so attainment varies), and a VGV
target of that many units at its average ticket, rounded to R$ 1.000. Drawn from a generator of
its own, so the world is the same with or without targets.
"""
from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .timefmt import from_ts

if TYPE_CHECKING:
    from .world import World

FIELDS = ("conta", "idempreendimento", "mes", "meta_unidades", "meta_vgv")


def _month(d: date) -> date:
    return d.replace(day=1)


def _next(m: date) -> date:
    return date(m.year + m.month // 12, m.month % 12 + 1, 1)


def _months(first: date, last: date) -> list[date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = _next(m)
    return out


def rows(world: World, conta: str = "default") -> list[dict]:
    """One target per development and month of the account ``conta``, in the seed's columns."""
    rng = random.Random(f"metas:{world.seed}")
    now = from_ts(world.now).date()
    horizon = _next(_next(_month(now)))
    sales: dict[int, list] = defaultdict(list)
    for r in world.reservas:
        if r.t_venda is not None:
            sales[r.unit.emp.id].append(r)
    out = []
    for emp_id in sorted(sales):
        sold = sales[emp_id]
        first = _month(min(from_ts(r.t_venda).date() for r in sold))
        months = _months(first, horizon)
        net = sum(1 for r in sold if r.t_dist is None)
        per_month = max(net / max(len(_months(first, _month(now))), 1), 0.5)
        ticket = sum(r.cents for r in sold) / len(sold) / 100
        for m in months:
            units = max(1, round(per_month * rng.uniform(0.85, 1.25)))
            out.append({"conta": conta, "idempreendimento": emp_id, "mes": m.isoformat(),
                        "meta_unidades": units,
                        "meta_vgv": f"{round(units * ticket, -3):.2f}"})
    return out


def write(world: World, folder: Path, conta: str = "default") -> Path:
    """``folder/metas.csv`` with the world's targets, as account ``conta``'s; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "metas.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows(world, conta))
    return path
