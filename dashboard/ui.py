"""Streamlit pieces the pages share: the sidebar filters, KPI cards, pt-BR charts and tables,
the friendly empty-data message, the guard that turns a database problem into one line, and the
check of the marts a page reads."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from dashboard import data
from dashboard import formatting as fmt
from dashboard.data import DataUnavailable, Filters
from dashboard.metrics import CUSTOM, PRESETS, Period, add_months, change, month_start, preset_period
from pipelines import clock

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
    return clock.today()


# --------------------------------------------------------------------------- guard
@contextmanager
def guarded() -> Iterator[None]:
    """A database problem becomes one pt-BR line on the page (never a traceback) and stops it."""
    try:
        yield
    except DataUnavailable as exc:
        st.error(str(exc), icon=":material/database_off:")
        st.stop()


def require_marts(*marts: str) -> None:
    """The marts the page reads, declared at its top: when one is missing, empty or not readable,
    the page says which and how to rebuild it, and stops there; the other pages go on working."""
    with guarded():
        problems = data.mart_problems(marts)
    for state, message in problems:
        if state in (data.EMPTY, data.HIDDEN):
            st.warning(message, icon=":material/inbox:")
        else:
            st.error(message, icon=":material/database_off:")
    if problems:
        st.stop()


# --------------------------------------------------------------------------- filters
# What the sidebar says under a filter whose mart cannot give options.
OPTIONS_STATE = {data.EMPTY: "está vazio", data.MISSING: "não existe neste banco",
                 data.DENIED: "não pode ser lido por este usuário",
                 data.HIDDEN: "não tem linhas das contas deste usuário"}


def no_options(what: str, mart: str, states: dict[str, str]) -> None:
    if states[mart] != data.READY:
        st.caption(f"Sem opções de {what}: o mart `marts.{mart}` {OPTIONS_STATE[states[mart]]}.")


def development_labels(options: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(conta, idempreendimento) → the name the sidebar shows; a name two developments share
    gets their ids, since the widget tells its options apart by what it shows."""
    keys = [(str(c), int(i)) for c, i in zip(options["conta"], options["idempreendimento"], strict=True)]
    names = [str(n) for n in options["empreendimento"]]
    repeated = {n for n in names if names.count(n) > 1}
    return {key: f"{name} · nº {key[1]}" if name in repeated else name
            for key, name in zip(keys, names, strict=True)}


def sidebar_filters() -> Filters:
    """Period, accounts (when this user's role reads more than one), developments and brokerages,
    in the sidebar of every page. The widgets live in the router script, so their keys keep the
    choices while the user moves between pages."""
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
            states = data.mart_states()
            visible = data.conta_options()  # what the database shows this role (row-level security)
        contas: tuple[str, ...] = ()
        if len(visible) > 1:
            chosen = st.multiselect("Contas", visible, key="contas", placeholder="Todas as contas",
                                    select_all=False, help="As contas do CVCRM que este usuário pode ver.")
            contas = tuple(c for c in chosen if c in visible)
        # several accounts in view: developments and brokers are named with their account
        scope = Filters(period, contas=contas, many_contas=len(visible) > 1 and len(contas) != 1)
        with guarded():
            developments = data.development_options(scope)
            brokerages = data.brokerage_options(scope)
        names = development_labels(developments)
        emps = st.multiselect("Empreendimentos", list(names), format_func=lambda k: names.get(k, str(k)),
                              key="empreendimentos", placeholder="Todos os empreendimentos",
                              select_all=False)
        no_options("empreendimentos", "empreendimentos", states)
        imobs = st.multiselect("Imobiliárias", brokerages, key="imobiliarias",
                               placeholder="Todas as imobiliárias", select_all=False)
        no_options("imobiliárias", "vendas", states)
        st.button("Atualizar dados", icon=":material/refresh:", on_click=data.refresh,
                  help=f"Os dados ficam em cache por {data.CACHE_SECONDS // 60} minutos; "
                  "este botão busca tudo de novo no banco.")
    filters = Filters(period, tuple(k for k in emps if k in names), tuple(imobs), contas, scope.many_contas)
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
        if filters.contas:
            parts.append(f"conta{'s' if len(filters.contas) > 1 else ''} {', '.join(filters.contas)}")
        if filters.empreendimentos:
            parts.append(f"{len(filters.empreendimentos)} empreendimento(s) selecionado(s)")
        if filters.imobiliarias:
            parts.append(f"{len(filters.imobiliarias)} imobiliária(s) selecionada(s)")
    if parts:
        st.caption(" · ".join(parts))


def empty(message: str = EMPTY_MESSAGE) -> None:
    st.info(message, icon=":material/info:")


def page_model(build: Callable[..., dict | None], *key) -> dict:
    """What a page shows for ``key`` (its filters): ``build`` is the page's cached function. A page
    without data ends here with the friendly message."""
    with guarded():
        model = build(*key)
    if model is None:
        empty()
        st.stop()
    return model


# --------------------------------------------------------------------------- page cache
# A page computes what it shows (reads, pandas work, chart specs, formatted tables, the texts of its
# KPI cards) in one function under this decorator, keyed by the filters: a warm run is then one
# cache lookup and the drawing of the elements, whatever the size of the data. Altair's schema
# validation and Babel's formatting, which cost more than drawing, run once per filter choice.
page_cache = st.cache_data(ttl=data.CACHE_SECONDS, show_spinner=False, max_entries=300)


# --------------------------------------------------------------------------- KPI cards
def kpi(label: str, value: str, change: float | None = None, help: str | None = None,
        lower_is_better: bool = False) -> dict:
    """A KPI card (``st.metric``'s arguments) with its change against the previous equal period."""
    return {"label": label, "value": value, "delta": fmt.signed_percent(change), "help": help,
            "delta_color": "inverse" if lower_is_better else "normal",
            "delta_description": "vs. anterior" if change is not None else None}


@dataclass(frozen=True)
class Card:
    """A KPI card drawn from a summary row: ``key`` is the row's field."""

    label: str
    key: str
    money: bool = False
    help: str = ""
    lower_is_better: bool = False


def kpi_cards(cards: list[Card], now: dict, before: dict) -> list[dict]:
    """Cards each with its change against ``before``; money shows compact with the full value in
    the card's help."""
    out = []
    for card in cards:
        value = now[card.key]
        shown = fmt.brl_compact(value) if card.money else fmt.integer(value)
        full = f" {fmt.brl(value)}." if card.money else ""
        out.append(kpi(card.label, shown, change(value, before.get(card.key)), (card.help + full).strip(),
                       card.lower_is_better))
    return out


def rate_kpi(label: str, rate: float | None, previous: float | None, help: str,
             lower_is_better: bool = False) -> dict:
    """A rate's card (``22,7%``) with its change in percentage points."""
    points = None if rate is None or previous is None else rate - previous
    return {"label": label, "value": fmt.percent(rate), "delta": fmt.signed_points(points), "help": help,
            "delta_color": "inverse" if lower_is_better else "normal",
            "delta_description": "vs. anterior" if points is not None else None}


def show_cards(cards: list[dict], columns: int = 4) -> None:
    """One row of cards."""
    for column, card in zip(st.columns(columns), cards, strict=False):
        column.metric(**card, border=True)


# --------------------------------------------------------------------------- charts and tables
def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec with the pt-BR locale and the legend below, its data already in
    the Arrow form Streamlit sends (Streamlit converts record lists on every run otherwise)."""
    result = chart.configure(locale=CHART_LOCALE).configure_legend(orient="bottom", title=None).to_dict()
    result["datasets"] = {name: convert_anything_to_arrow_bytes(pd.DataFrame.from_records(values))
                          for name, values in result.get("datasets", {}).items()}
    return result


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


# Up to this many days, a history is drawn as bars, one per day the snapshots saw; beyond, as areas.
HISTORY_BARS = 40


def history_chart(df: pd.DataFrame, value: str, series: str, order: list[str], value_title: str,
                  tooltip_title: str, colors: list[str] | None = None, money: bool = False) -> dict:
    """``value`` on each day of ``df["data"]`` (the days dbt's snapshots saw), stacked by ``series``
    in ``order``: bars while the days are few, areas on a time axis once they are many."""
    chart_data = df.copy()
    chart_data["ordem"] = chart_data[series].map({name: i for i, name in enumerate(order)})
    chart_data["dia"] = [fmt.day(d) for d in chart_data["data"]]
    chart_data["data"] = pd.to_datetime(chart_data["data"])
    chart_data["valor_texto"] = (fmt.brl_many if money else fmt.integer_many)(chart_data[value])
    days = chart_data["data"].nunique()
    few = days <= HISTORY_BARS
    x = (alt.X("yearmonthdate(data):O", title="Dia", axis=alt.Axis(format="%d/%m/%y", labelAngle=0)) if few
         else alt.X("data:T", title="Dia", axis=alt.Axis(format="%d/%m/%y")))
    scale = alt.Scale(domain=order, range=colors) if colors else alt.Scale(domain=order)
    # bars no wider than 60 px, so that a history of one or two days does not fill the chart
    mark = alt.Chart(chart_data).mark_bar(size=max(6, min(60, 600 // max(days, 1)))) if few else (
        alt.Chart(chart_data).mark_area())
    return spec(mark.encode(
        x=x, y=alt.Y(f"{value}:Q", title=value_title, stack="zero",
                     axis=money_axis() if money else alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color(f"{series}:N", sort=order, scale=scale),
        order=alt.Order("ordem:Q"),
        tooltip=[alt.Tooltip("dia:N", title="Dia"), alt.Tooltip(f"{series}:N", title=tooltip_title),
                 alt.Tooltip("valor_texto:N", title=value_title)],
    ).properties(height=300))


def history_note(days: pd.Series) -> str:
    """What a history chart's caption says of the days it has."""
    if days.empty:
        return ""
    first, count = min(days), days.nunique()
    if count == 1:
        return (f"Uma foto até agora, de {fmt.day(first)}: cada `cvdw-ops run` (ou `dbt snapshot`) "
                "acrescenta um dia a este histórico.")
    return f"{fmt.integer(count)} dias com foto (dbt snapshot), de {fmt.day(first)} a {fmt.day(max(days))}."


def rows_height(df: pd.DataFrame) -> int:
    """A table tall enough to show every row without an inner scroll bar (up to 20 rows)."""
    return 38 + 35 * min(len(df), 20)


def with_month_labels(df: pd.DataFrame, column: str = "mes") -> pd.DataFrame:
    out = df.copy()
    out["mes_rotulo"] = [fmt.month_long(m) for m in out[column]]
    out[column] = pd.to_datetime(out[column])
    return out


YES_NO = {True: "Sim", False: "Não"}


def table_view(df: pd.DataFrame, labels: dict[str, str], money: tuple = (), integers: tuple = (),
               percents: tuple = (), flags: tuple = (), dates: tuple = (), ids: tuple = (),
               csv_only: tuple = ()) -> dict:
    """``st.dataframe``'s arguments for the ``labels`` columns of ``df`` but the ``csv_only`` ones,
    with pt-BR headers and formats (dates stay dates, so they sort); the rows already as an Arrow
    table, which is what Streamlit sends (it converts a DataFrame on every run otherwise)."""
    shown = df[[c for c in labels if c not in csv_only]].copy()
    formatters = ((fmt.brl_many, money), (fmt.integer_many, integers),
                  (lambda v: v.map(fmt.percent), percents), (lambda v: v.map(YES_NO.get), flags))
    for formatter, columns in formatters:
        for c in columns:
            if c in shown:
                shown[c] = formatter(shown[c])
    config: dict = {c: labels[c] for c in shown}
    config |= {c: date_column(labels[c]) for c in dates if c in shown}
    config |= {c: st.column_config.NumberColumn(labels[c], format="%d") for c in ids if c in shown}
    kinds = dict.fromkeys(money, "money") | dict.fromkeys(integers, "integer") | dict.fromkeys(
        percents, "percent") | dict.fromkeys(dates, "date") | dict.fromkeys(ids, "id")
    return {"data": pa.Table.from_pandas(shown, preserve_index=False), "column_config": config,
            "height": rows_height(shown), "kinds": kinds}


def show_table(view: dict) -> None:
    st.dataframe(view["data"], column_config=view["column_config"], height=view["height"],
                 hide_index=True, placeholder=fmt.MISSING)


def table(df: pd.DataFrame, labels: dict[str, str], **formats) -> None:
    show_table(table_view(df, labels, **formats))


def top_only(shown: int, total: int, ranked_by: str) -> None:
    """Under a chart that shows the first ``shown`` of ``total`` developments."""
    if total > shown:
        st.caption(f"Os {shown} empreendimentos com {ranked_by} no período, de {fmt.integer(total)}; "
                   "escolha outros no filtro de empreendimentos.")


def table_with_downloads(view: dict, total: int, what: str, rows: Callable[[], pd.DataFrame],
                   labels: dict[str, str], file_name: str, flags: tuple = ()) -> None:
    """A table showing the first rows of ``total`` (``what`` says which), and a CSV and an Excel
    file of them all with plain numbers and the columns the screen leaves out: ``rows()`` reads
    them, only when someone clicks."""
    show_table(view)
    shown = len(view["data"])
    if total > shown:
        st.caption(f"Mostrando {what} ({fmt.integer(shown)} de {fmt.integer(total)}); "
                   "o CSV e o Excel trazem todas as linhas.")
    buttons = st.container(horizontal=True)
    buttons.download_button("Baixar CSV", lambda: to_csv(rows(), labels, flags),
                            file_name=file_name, mime="text/csv", icon=":material/download:")
    buttons.download_button("Baixar Excel", lambda: to_xlsx(rows(), labels, flags, view["kinds"]),
                            file_name=file_name.removesuffix(".csv") + ".xlsx", mime=XLSX,
                            icon=":material/table_view:")


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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's number formats for the kinds of column ``table_view`` knows; Excel shows them in the
# reader's own locale (R$ 1.234,56 in a Brazilian one).
EXCEL_FORMATS = {"money": '"R$" #,##0.00', "integer": "#,##0", "percent": "0.0%",
                 "date": "DD/MM/YYYY", "id": "0"}


def to_xlsx(df: pd.DataFrame, labels: dict[str, str], flags: tuple = (),
            kinds: dict[str, str] | None = None) -> bytes:
    """An Excel workbook (openpyxl): pt-BR headers, numbers and dates as typed cells with their
    formats, Sim/Não flags, the header row frozen."""
    from openpyxl.utils import get_column_letter

    export = df[list(labels)].copy()
    for c in flags:
        export[c] = export[c].map(YES_NO.get)
    kinds = kinds or {}
    for c in export.columns:
        if kinds.get(c) in ("money", "integer", "percent", "id"):
            export[c] = pd.to_numeric(export[c])  # Decimals from the driver: numbers, not text
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        export.rename(columns=labels).to_excel(writer, index=False, sheet_name="Dados")
        sheet = writer.sheets["Dados"]
        sheet.freeze_panes = "A2"
        for i, c in enumerate(export.columns, start=1):
            letter = get_column_letter(i)
            sheet.column_dimensions[letter].width = max(12, len(labels[c]) + 4)
            if number_format := EXCEL_FORMATS.get(kinds.get(c, "")):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = number_format
    return buffer.getvalue()


def date_column(label: str) -> st.column_config.DateColumn:
    return st.column_config.DateColumn(label, format="DD/MM/YYYY")
