"""What the VSO page (``app_pages/vso.py``) shows, computed once per filter choice."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters

# Developments a chart shows (those with the most net sales in the period): more lines or rows
# than this are unreadable; the sidebar's development filter picks others.
LINES, HEAT_MAP_ROWS = 10, 20
PACE_COLUMNS = {"empreendimento": "Empreendimento", "estoque": "Estoque atual",
                "ritmo": "Vendas líquidas por mês (últimos 3 meses)", "meses": "Meses de estoque"}
TOOLTIP = [alt.Tooltip("empreendimento:N", title="Empreendimento"), alt.Tooltip("mes_rotulo:N", title="Mês"),
           alt.Tooltip("vso_texto:N", title="VSO"), alt.Tooltip("vendas_liquidas:Q", title="Vendas líquidas"),
           alt.Tooltip("estoque_inicial:Q", title="Estoque no início")]


def with_vso_text(rows: pd.DataFrame) -> pd.DataFrame:
    chart_data = ui.with_month_labels(rows)
    chart_data["vso_texto"] = chart_data["vso"].map(fmt.percent)
    return chart_data


def vso_lines(rows: pd.DataFrame) -> dict:
    return ui.spec(alt.Chart(with_vso_text(rows)).mark_line(point=True).encode(
        x=ui.month_axis(), y=alt.Y("vso:Q", title="VSO", axis=alt.Axis(format=".0%")),
        color=alt.Color("empreendimento:N", title="Empreendimento"), tooltip=TOOLTIP,
    ).properties(height=320))


def heat_map(rows: pd.DataFrame) -> dict:
    """Development × month cells coloured by VSO, with the value written in each."""
    chart_data = with_vso_text(rows)
    base = alt.Chart(chart_data).encode(
        x=ui.month_axis(title=None), y=alt.Y("empreendimento:N", title=None, axis=alt.Axis(labelLimit=260)))
    heat = base.mark_rect().encode(
        color=alt.Color("vso:Q", title="VSO", scale=alt.Scale(scheme="greens"),
                        legend=alt.Legend(format=".0%")),
        tooltip=TOOLTIP)
    dark_cells = 0.6 * (chart_data["vso"].max() or 0)  # white text where the green gets dark
    labels = base.mark_text(fontSize=10).encode(
        text="vso_texto:N",
        color=alt.condition(f"datum.vso > {dark_cells}", alt.value("white"), alt.value("#1F2A30")))
    return ui.spec((heat + labels).properties(height=alt.Step(36)))


def stock_chart(totals: pd.DataFrame) -> dict:
    """Launches as bars, stock at the start of the month as a line, all developments together."""
    totals = ui.with_month_labels(totals)
    tooltip = [alt.Tooltip("mes_rotulo:N", title="Mês"),
               alt.Tooltip("estoque_inicial:Q", title="Estoque no início", format=",d"),
               alt.Tooltip("lancamentos:Q", title="Lançamentos", format=",d"),
               alt.Tooltip("vendas_liquidas:Q", title="Vendas líquidas", format=",d")]
    bars = alt.Chart(totals).mark_bar(color="#7FB8A4").encode(
        x=ui.month_axis(), y=alt.Y("lancamentos:Q", title="Unidades"), tooltip=tooltip)
    line = alt.Chart(totals).mark_line(point=True, color="#0B6E4F").encode(
        x=ui.month_axis(), y=alt.Y("estoque_inicial:Q"), tooltip=tooltip)
    return ui.spec((bars + line).properties(height=300))


def with_months_of_stock(pace: pd.DataFrame) -> pd.DataFrame:
    """Months of stock at each development's pace (“—” when it sells nothing net)."""
    pace = pace.copy()
    pace["meses"] = [m.ratio(stock, rate) for stock, rate in zip(pace["estoque"], pace["ritmo"], strict=True)]
    return pace


@ui.page_cache
def vso_page(f: Filters) -> dict | None:
    """The page's cards, charts and table for these filters; None when the period has no data."""
    months = data.vso_by_month(f, months_before=2)  # two more months for the 3-month pace
    in_period = months[months["mes"] >= f.period.first_month]
    if in_period.empty:
        return None
    summary = data.vso_summary(f)
    top = data.vso_top_developments(f, HEAT_MAP_ROWS)
    pace = with_months_of_stock(data.stock_by_development(f))
    stock, total = (pace["estoque_total"].iloc[0], int(pace["total"].iloc[0])) if len(pace) else (0, 0)
    cards = [
        ui.kpi("VSO do período", fmt.percent(m.vso(**summary)),
               help="Vendas líquidas do período ÷ (estoque no início do período + lançamentos nele)."),
        ui.kpi("Lançamentos no período", fmt.integer(summary["lancamentos"])),
        ui.kpi("Estoque atual", fmt.integer(stock),
               help=f"Unidades em oferta ao fim de {fmt.month_long(f.period.last_month)}."),
        ui.kpi("Meses de estoque", fmt.decimal(m.months_of_stock(stock, months["vendas_liquidas"].tolist())),
               help="Estoque atual ÷ média de vendas líquidas dos últimos 3 meses; "
                    "“—” quando esse ritmo é zero ou negativo."),
    ]
    pace["ritmo"] = pace["ritmo"].map(fmt.decimal)
    pace["meses"] = pace["meses"].map(fmt.decimal)
    return {"cards": cards, "developments": int(top["total"].iloc[0]) if len(top) else 0,
            "lines": vso_lines(top[top["posicao"] <= LINES]), "heat_map": heat_map(top),
            "stock": stock_chart(in_period), "total": total,
            "pace": ui.table_view(pace, PACE_COLUMNS, integers=("estoque",))}
