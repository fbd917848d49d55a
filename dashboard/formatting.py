"""pt-BR formatting with Babel: money, percent, integers, dates and month names.

Every function accepts ``None`` (no value: a division by zero, an empty period) and returns
``"—"`` for it, so pages never print ``None`` or ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_timedelta, get_month_names
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

LOCALE = "pt_BR"
MISSING = "—"
TIMEZONE = ZoneInfo("America/Sao_Paulo")
Number = int | float | Decimal | None


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def brl(value: Number) -> str:
    """``R$ 1.234.567,89`` (a no-break space keeps the symbol with the number)."""
    return MISSING if _missing(value) else format_currency(value, "BRL", locale=LOCALE)


# Table columns are formatted thousands of values at a time, where Babel's per-value formatting
# takes seconds; these use Babel's pt-BR symbols with Python's number formatting instead.
_TO_LOCALE = str.maketrans({",": get_group_symbol(LOCALE), ".": get_decimal_symbol(LOCALE)})
_BRL_SYMBOL = get_currency_symbol("BRL", LOCALE)


def brl_many(values: Iterable[Number]) -> list[str]:
    """``brl`` for a whole column (same text, much faster)."""
    return [MISSING if _missing(v) else
            ("-" if v < 0 else "") + _BRL_SYMBOL + "\xa0" + f"{abs(float(v)):,.2f}".translate(_TO_LOCALE)
            for v in values]


def integer_many(values: Iterable[Number]) -> list[str]:
    """``integer`` for a whole column."""
    return [MISSING if _missing(v) else f"{round(v):,}".translate(_TO_LOCALE) for v in values]


def brl_compact(value: Number) -> str:
    """``R$ 45,7 mi`` for KPI cards, where the full value would be cut off."""
    if _missing(value):
        return MISSING
    if abs(value) < 10_000:
        return brl(value)
    return format_compact_currency(value, "BRL", locale=LOCALE, fraction_digits=1)


def integer(value: Number) -> str:
    """``12.345``."""
    return MISSING if _missing(value) else format_decimal(round(value), "#,##0", locale=LOCALE)


def decimal(value: Number, digits: int = 1) -> str:
    """``3,5`` (such as months of stock)."""
    if _missing(value):
        return MISSING
    return format_decimal(value, "#,##0." + "0" * digits, locale=LOCALE)


def days(value: Number) -> str:
    """A count of days, such as a median: ``12 dias``, ``12,5 dias``, ``1 dia``."""
    if _missing(value):
        return MISSING
    text = format_decimal(value, "#,##0.#", locale=LOCALE)
    return text + (" dia" if text == "1" else " dias")


def percent(fraction: Number, digits: int = 1) -> str:
    """A fraction as ``22,7%``."""
    if _missing(fraction):
        return MISSING
    return format_percent(fraction, "#,##0." + "0" * digits + "%", locale=LOCALE)


def signed_percent(fraction: Number) -> str | None:
    """A change for ``st.metric``'s delta: ``+12,3%`` / ``-4,0%``; None hides the delta."""
    if _missing(fraction):
        return None
    return ("+" if fraction > 0 else "") + percent(fraction)


def day(value: date | None) -> str:
    """``03/11/2026``."""
    return MISSING if value is None else format_date(value, "dd/MM/yyyy", locale=LOCALE)


def month_short(value: date) -> str:
    """``fev/26`` for chart axes and table columns (CLDR writes ``fev.``; the dot is noise here)."""
    return format_date(value, "MMM/yy", locale=LOCALE).replace(".", "")


def month_long(value: date) -> str:
    """``fevereiro de 2026``."""
    return format_date(value, "MMMM 'de' yyyy", locale=LOCALE)


def month_names(width: str = "wide") -> list[str]:
    """January first; ``wide`` (``janeiro``) or ``abbreviated`` (``jan``), for chart locales."""
    names = get_month_names(width, context="stand-alone", locale=LOCALE)
    return [names[m].replace(".", "") for m in range(1, 13)]


def period(start: date, end: date) -> str:
    """``01/01/2026 a 30/11/2026``."""
    return f"{day(start)} a {day(end)}"


def signed_points(difference: Number) -> str | None:
    """A change of a rate, in percentage points: ``+1,2 p.p.``; None hides the delta."""
    if _missing(difference):
        return None
    points = format_decimal(float(difference) * 100, "#,##0.0", locale=LOCALE)
    return ("+" if difference > 0 else "") + points + " p.p."


def moment(value: datetime | None) -> str:
    """``03/11/2026 14:05`` in Brasília time."""
    if value is None:
        return MISSING
    return format_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=TIMEZONE, locale=LOCALE)


def age(value: datetime | None, now: datetime) -> str:
    """``há 3 horas``."""
    if value is None:
        return MISSING
    return "há " + format_timedelta(now - value, threshold=1.1, locale=LOCALE)
