"""Streamlit pieces the pages share: the sidebar filters, KPI cards, pt-BR charts and tables,
the friendly empty-data message, and the guard that turns a database problem into one line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data
from dashboard import formatting as fmt
from dashboard.data import DataUnavailable, Filters
from dashboard.metrics import CUSTOM, PRESETS, Period, add_months, change, month_start, preset_period

FILTERS_KEY = "filtros"
EMPTY_MESSAGE = ("Nenhum dado para o período e os filtros escolhidos. Ajuste o período, os "
                 "empreendimentos ou as imobiliárias na barra lateral.")

# Vega's d3 locale for pt-BR: axes and number formats in charts speak Portuguese too.
CHART_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["R$ ", ""]},
    "time": {
        "dateTime": "%A, %e de %B de %Y, %X", "date": "%d/%m/%Y", "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["domingo", "segunda", "terça", "quarta", "quinta", "sexta", "sábado"],
        "shortDays": ["dom", "seg", "ter", "qua", "qui", "sex", "sáb"],
        "months": fmt.month_names("wide"), "shortMonths": fmt.month_names("abbreviated"),
    },
}


def today() -> date:
    return date.today()


# --------------------------------------------------------------------------- guard
@contextmanager
def guarded() -> Iterator[None]:
    """A database problem becomes one pt-BR line on the page (never a traceback) and stops it."""
    try:
        yield
    except DataUnavailable as exc:
        st.error(str(exc), icon=":material/database_off:")
        st.stop()


# --------------------------------------------------------------------------- filters
def sidebar_filters() -> Filters:
    """Period, developments and brokerages, in the sidebar of every page. The widgets live in the
    router script, so their keys keep the choices while the user moves between pages."""
    with st.sidebar:
        st.subheader("Filtros")
        preset = st.selectbox("Período", PRESETS, key="periodo")
        if preset == CUSTOM:
            default = (add_months(month_start(today()), -11), today())
            chosen = st.date_input("Datas (início e fim)", value=default, key="datas", format="DD/MM/YYYY",
                                   min_value=date(2000, 1, 1), max_value=date(today().year + 5, 12, 31))
            dates = [d for d in (chosen if isinstance(chosen, tuple | list) else (chosen,)) if d]
            if len(dates) < 2:
                st.caption("Escolha também a data final.")
                dates = [dates[0], dates[0]] if dates else list(default)
            period = Period(*sorted(dates)[:2])
        else:
            period = preset_period(preset, today())
        st.caption(fmt.period(period.start, period.end))
        with guarded():
            developments = data.development_options()
            brokerages = data.brokerage_options()
        names = dict(zip(developments["idempreendimento"], developments["empreendimento"], strict=True))
        emps = st.multiselect("Empreendimentos", list(names), format_func=lambda i: names.get(i, str(i)),
                              key="empreendimentos", placeholder="Todos os empreendimentos",
                              select_all=False)
        imobs = st.multiselect("Imobiliárias", brokerages, key="imobiliarias",
                               placeholder="Todas as imobiliárias", select_all=False)
        st.button("Atualizar dados", icon=":material/refresh:", on_click=data.refresh,
                  help=f"Os dados ficam em cache por {data.CACHE_SECONDS // 60} minutos; "
                  "este botão busca tudo de novo no banco.")
    filters = Filters(period, tuple(int(i) for i in emps), tuple(imobs))
    st.session_state[FILTERS_KEY] = filters
    return filters


def current_filters() -> Filters:
    """The filters the router chose on this run (a page run alone gets the default period)."""
    if FILTERS_KEY not in st.session_state:
        return Filters(preset_period(PRESETS[0], today()))
    return st.session_state[FILTERS_KEY]


def page_header(title: str, filters: Filters | None = None, note: str = "") -> None:
    st.title(title)
    parts = [note] if note else []
    if filters is not None:
        parts.insert(0, f"Período: **{fmt.period(filters.period.start, filters.period.end)}**")
        if filters.empreendimentos:
            parts.append(f"{len(filters.empreendimentos)} empreendimento(s) selecionado(s)")
        if filters.imobiliarias:
            parts.append(f"{len(filters.imobiliarias)} imobiliária(s) selecionada(s)")
    if parts:
        st.caption(" · ".join(parts))


def empty(message: str = EMPTY_MESSAGE) -> None:
    st.info(message, icon=":material/info:")


# --------------------------------------------------------------------------- KPI cards
def kpi(column, label: str, value: str, change: float | None = None, help: str | None = None,
        lower_is_better: bool = False) -> None:
    """A KPI card with its change against the previous equal period."""
    column.metric(label, value, delta=fmt.signed_percent(change),
                  delta_color="inverse" if lower_is_better else "normal", help=help, border=True,
                  delta_description="vs. anterior" if change is not None else None)


@dataclass(frozen=True)
class Card:
    """A KPI card drawn from a summary row: ``key`` is the row's field."""

    label: str
    key: str
    money: bool = False
    help: str = ""
    lower_is_better: bool = False


def kpi_row(cards: list[Card], now: dict, before: dict) -> None:
    """One row of cards, each with its change against ``before``; money shows compact with the
    full value in the card's help."""
    for column, card in zip(st.columns(4), cards, strict=False):
        value = now[card.key]
        shown = fmt.brl_compact(value) if card.money else fmt.integer(value)
        full = f" {fmt.brl(value)}." if card.money else ""
        kpi(column, card.label, shown, change(value, before.get(card.key)), (card.help + full).strip(),
            card.lower_is_better)


def rate_kpi(column, label: str, rate: float | None, previous: float | None, help: str,
             lower_is_better: bool = False) -> None:
    """A rate's card (``22,7%``) with its change in percentage points."""
    points = None if rate is None or previous is None else rate - previous
    column.metric(label, fmt.percent(rate), delta=fmt.signed_points(points), border=True, help=help,
                  delta_color="inverse" if lower_is_better else "normal",
                  delta_description="vs. anterior" if points is not None else None)


# --------------------------------------------------------------------------- charts and tables
# Building an Altair chart validates it against the Vega-Lite schema, which costs more than the
# rest of a page; pages build their charts in functions under this decorator, keyed by the data,
# so a warm run reuses the finished spec.
cached_chart = st.cache_data(ttl=data.CACHE_SECONDS, show_spinner=False, max_entries=300)


def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec with the pt-BR locale and the legend below."""
    return chart.configure(locale=CHART_LOCALE).configure_legend(orient="bottom", title=None).to_dict()


def show_chart(chart_spec: dict) -> None:
    st.vega_lite_chart(spec=chart_spec, width="stretch")


def month_axis(field: str = "mes", title: str | None = "Mês") -> alt.X:
    """Months as bands (``nov/26``), so that bars side by side and heat-map cells line up."""
    return alt.X(f"yearmonth({field}):O", title=title, axis=alt.Axis(format="%b/%y", labelAngle=0))


# Vega expression for money ticks the way the cards write them: R$ 1,2 mi, R$ 800 mil.
_MONEY_TICKS = (
    "abs(datum.value) >= 1e9 ? 'R$ ' + format(datum.value / 1e9, ',.1~f') + ' bi'"
    " : abs(datum.value) >= 1e6 ? 'R$ ' + format(datum.value / 1e6, ',.1~f') + ' mi'"
    " : abs(datum.value) >= 1e3 ? 'R$ ' + format(datum.value / 1e3, ',.0f') + ' mil'"
    " : 'R$ ' + format(datum.value, ',.0f')"
)


def money_axis() -> alt.Axis:
    return alt.Axis(labelExpr=_MONEY_TICKS)


def rows_height(df: pd.DataFrame) -> int:
    """A table tall enough to show every row without an inner scroll bar (up to 20 rows)."""
    return 38 + 35 * min(len(df), 20)


def with_month_labels(df: pd.DataFrame, column: str = "mes") -> pd.DataFrame:
    out = df.copy()
    out["mes_rotulo"] = [fmt.month_long(m) for m in out[column]]
    out[column] = pd.to_datetime(out[column])
    return out


YES_NO = {True: "Sim", False: "Não"}


def table(df: pd.DataFrame, labels: dict[str, str], money: tuple = (), integers: tuple = (),
          percents: tuple = (), flags: tuple = (), dates: tuple = (), ids: tuple = (),
          file_name: str | None = None, csv_only: tuple = ()) -> None:
    """The ``labels`` columns of ``df`` with pt-BR headers and formats (dates stay dates, so they
    sort); with ``file_name``, a CSV download of the same rows with plain numbers, including the
    ``csv_only`` columns that the screen leaves out to stay readable."""
    shown = _formatted(df, labels, money, integers, percents, flags, csv_only)
    config: dict = dict(labels)
    config |= {c: date_column(labels[c]) for c in dates if c in shown}
    config |= {c: st.column_config.NumberColumn(labels[c], format="%d") for c in ids if c in shown}
    st.dataframe(shown, hide_index=True, column_config=config, height=rows_height(shown),
                 placeholder=fmt.MISSING)
    if file_name:  # the CSV is written only when someone clicks
        st.download_button("Baixar CSV", lambda: to_csv(df, labels, flags), file_name=file_name,
                           mime="text/csv", icon=":material/download:")


@st.cache_data(ttl=data.CACHE_SECONDS, show_spinner=False, max_entries=100)
def _formatted(df: pd.DataFrame, labels: dict[str, str], money: tuple, integers: tuple, percents: tuple,
               flags: tuple, csv_only: tuple) -> pd.DataFrame:
    """The screen copy, cached: formatting a large table costs more than showing it."""
    shown = df[[c for c in labels if c not in csv_only]].copy()
    formatters = ((fmt.brl_many, money), (fmt.integer_many, integers),
                  (lambda v: v.map(fmt.percent), percents), (lambda v: v.map(YES_NO.get), flags))
    for formatter, columns in formatters:
        for c in columns:
            if c in shown:
                shown[c] = formatter(shown[c])
    return shown


def to_csv(df: pd.DataFrame, labels: dict[str, str], flags: tuple = ()) -> bytes:
    """CSV as Excel in Brazil opens it: pt-BR headers, ``;`` between fields, decimal comma, BOM for
    accents."""
    export = df[list(labels)].copy()
    for c in flags:
        export[c] = export[c].map(YES_NO.get)
    for c in export.columns:  # the driver's date objects: as datetimes, so date_format applies
        first = export[c].dropna().head(1).tolist()
        if first and isinstance(first[0], date):
            export[c] = pd.to_datetime(export[c])
    return export.rename(columns=labels).to_csv(sep=";", decimal=",", index=False,
                                                 date_format="%d/%m/%Y").encode("utf-8-sig")


def date_column(label: str) -> st.column_config.DateColumn:
    return st.column_config.DateColumn(label, format="DD/MM/YYYY")
