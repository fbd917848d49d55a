"""KPI arithmetic and periods: pure functions, unit-tested without a server or a database.

Definitions (the same as the marts'):
- vendas brutas: sales whose ``data_venda`` falls in the period; distratos: sales whose
  ``data_distrato`` falls in it; vendas líquidas = brutas − distratos (units and VGV).
- taxa de distrato = distratos ÷ vendas brutas; ticket médio = VGV bruto ÷ vendas brutas.
- VSO of a period = net sales ÷ (stock at the start of the period + units launched in it).
- meses de estoque = stock ÷ average monthly net sales of the last 3 months.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

Number = int | float | Decimal

PRESETS = ("Últimos 12 meses", "Últimos 3 meses", "Este mês", "Este ano", "Ano passado", "Personalizado")
CUSTOM = "Personalizado"


@dataclass(frozen=True)
class Period:
    """Inclusive day range."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def first_month(self) -> date:
        return month_start(self.start)

    @property
    def last_month(self) -> date:
        return month_start(self.end)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(month: date, n: int) -> date:
    """First day of the month ``n`` months after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def preset_period(preset: str, today: date) -> Period:
    """The period a preset names, ending today (or at the end of last year)."""
    if preset == "Últimos 12 meses":
        return Period(add_months(month_start(today), -11), today)
    if preset == "Últimos 3 meses":
        return Period(add_months(month_start(today), -2), today)
    if preset == "Este mês":
        return Period(month_start(today), today)
    if preset == "Este ano":
        return Period(date(today.year, 1, 1), today)
    if preset == "Ano passado":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    raise ValueError(f"unknown period preset {preset!r}")


def months_spanned(period: Period) -> int:
    """Calendar months the period touches (Dec 1 → Nov 29 of the next year: 12)."""
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def shift_months(period: Period, months: int) -> Period:
    """The same stretch of days ``months`` months away; an end on a month's last day stays on
    the last day, any other day is kept (clamped to the month's length)."""
    def shift(day: date) -> date:
        first = add_months(month_start(day), months)
        if day == month_end(day):
            return month_end(first)
        return first.replace(day=min(day.day, month_end(first).day))

    return Period(shift(period.start), shift(period.end))


def previous_period(period: Period) -> Period:
    """The equal period just before. A period starting on the 1st is compared month for month
    (this month so far with last month up to the same day; the last 12 months with the 12 before);
    any other period with the same number of days just before it."""
    if period.start.day == 1:
        return shift_months(period, -months_spanned(period))
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end)


def ratio(numerator: Number | None, denominator: Number | None) -> float | None:
    """numerator ÷ denominator, None when it is undefined (no denominator or it is zero or less)."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return float(numerator) / float(denominator)


def change(current: Number | None, previous: Number | None) -> float | None:
    """Relative change against the previous period; None when there was nothing before."""
    if current is None or previous is None or previous == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


def taxa_distrato(distratos: Number, vendas_brutas: Number) -> float | None:
    return ratio(distratos, vendas_brutas)


def ticket_medio(vgv_bruto: Number, vendas_brutas: Number) -> float | None:
    return ratio(vgv_bruto, vendas_brutas)


def vso(vendas_liquidas: Number, estoque_inicial: Number, lancamentos: Number) -> float | None:
    return ratio(vendas_liquidas, estoque_inicial + lancamentos)


def months_of_stock(estoque: Number, last_net_sales: Sequence[Number]) -> float | None:
    """Stock ÷ average monthly net sales of the last 3 months given (oldest first); None when the
    pace is zero or negative (stock would never run out at that pace)."""
    recent = list(last_net_sales)[-3:]
    if not recent:
        return None
    return ratio(estoque, sum(float(n) for n in recent) / len(recent))
