"""VSO: monthly VSO per development (lines and a development × month heat map), stock at the
start of each month and launches, and months of stock at the current pace."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m

f = ui.current_filters()
ui.page_header("VSO — venda sobre oferta", f,
               "VSO = vendas líquidas ÷ (estoque no início do mês + lançamentos do mês); "
               "o filtro de imobiliárias não se aplica")

with ui.guarded():
    summary = data.vso_summary(f)
    rows = data.vso_monthly(f, months_before=2)  # two more months for the 3-month pace



def with_vso_text(rows: pd.DataFrame) -> pd.DataFrame:
    chart_data = ui.with_month_labels(rows)
    chart_data["vso_texto"] = chart_data["vso"].map(fmt.percent)
    return chart_data


TOOLTIP = [alt.Tooltip("empreendimento:N", title="Empreendimento"), alt.Tooltip("mes_rotulo:N", title="Mês"),
           alt.Tooltip("vso_texto:N", title="VSO"), alt.Tooltip("vendas_liquidas:Q", title="Vendas líquidas"),
           alt.Tooltip("estoque_inicial:Q", title="Estoque no início")]


@ui.cached_chart
def vso_lines(rows: pd.DataFrame) -> dict:
    return ui.spec(alt.Chart(with_vso_text(rows)).mark_line(point=True).encode(
        x=ui.month_axis(), y=alt.Y("vso:Q", title="VSO", axis=alt.Axis(format=".0%")),
        color=alt.Color("empreendimento:N", title="Empreendimento"), tooltip=TOOLTIP,
    ).properties(height=320))


@ui.cached_chart
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


@ui.cached_chart
def stock_chart(rows: pd.DataFrame) -> dict:
    """Launches as bars, stock at the start of the month as a line, all developments together."""
    totals = ui.with_month_labels(
        rows.groupby("mes", as_index=False)[["estoque_inicial", "lancamentos", "vendas_liquidas"]].sum())
    tooltip = [alt.Tooltip("mes_rotulo:N", title="Mês"),
               alt.Tooltip("estoque_inicial:Q", title="Estoque no início", format=",d"),
               alt.Tooltip("lancamentos:Q", title="Lançamentos", format=",d"),
               alt.Tooltip("vendas_liquidas:Q", title="Vendas líquidas", format=",d")]
    bars = alt.Chart(totals).mark_bar(color="#7FB8A4").encode(
        x=ui.month_axis(), y=alt.Y("lancamentos:Q", title="Unidades"), tooltip=tooltip)
    line = alt.Chart(totals).mark_line(point=True, color="#0B6E4F").encode(
        x=ui.month_axis(), y=alt.Y("estoque_inicial:Q"), tooltip=tooltip)
    return ui.spec((bars + line).properties(height=300))


in_period = rows[rows["mes"] >= f.period.first_month]
if in_period.empty:
    ui.empty()
    st.stop()


def current_stock(group: pd.DataFrame) -> pd.Series:
    """Stock after the period's last month, and months of stock at the last 3 months' pace."""
    last = group.iloc[-1]
    stock = last["estoque_inicial"] + last["lancamentos"] - last["vendas_liquidas"]
    recent = group["vendas_liquidas"].tail(3)
    return pd.Series({"estoque": stock, "ritmo": recent.mean(), "meses": m.months_of_stock(stock, recent)})


@st.cache_data(ttl=data.CACHE_SECONDS, show_spinner=False, max_entries=100)
def stock_pace(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.groupby("empreendimento")[["estoque_inicial", "lancamentos", "vendas_liquidas"]] \
        .apply(current_stock).reset_index()


pace = stock_pace(rows)
total_stock = pace["estoque"].sum()
recent_total = rows.groupby("mes")["vendas_liquidas"].sum().sort_index().tail(3).tolist()

c = st.columns(4)
c[0].metric("VSO do período", fmt.percent(m.vso(**summary)), border=True,
            help="Vendas líquidas do período ÷ (estoque no início do período + lançamentos nele).")
c[1].metric("Lançamentos no período", fmt.integer(summary["lancamentos"]), border=True)
c[2].metric("Estoque atual", fmt.integer(total_stock), border=True,
            help=f"Unidades em oferta ao fim de {fmt.month_long(f.period.last_month)}.")
c[3].metric("Meses de estoque", fmt.decimal(m.months_of_stock(total_stock, recent_total)), border=True,
            help="Estoque atual ÷ média de vendas líquidas dos últimos 3 meses; "
                 "“—” quando esse ritmo é zero ou negativo.")

st.subheader("VSO mensal por empreendimento")
ui.show_chart(vso_lines(in_period))
st.subheader("Mapa de calor: empreendimento × mês")
ui.show_chart(heat_map(in_period))
st.subheader("Estoque no início do mês e lançamentos")
ui.show_chart(stock_chart(in_period))
st.caption("Barras: lançamentos do mês · linha: estoque no início do mês.")

st.subheader("Meses de estoque no ritmo atual")
pace["ritmo"] = pace["ritmo"].map(fmt.decimal)
pace["meses"] = pace["meses"].map(fmt.decimal)
ui.table(pace, {"empreendimento": "Empreendimento", "estoque": "Estoque atual",
                "ritmo": "Vendas líquidas por mês (últimos 3 meses)", "meses": "Meses de estoque"},
         integers=("estoque",))
