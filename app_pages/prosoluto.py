"""Pró-soluto: the share of the contract value the developer finances itself, by development
and by month, for the sales of the period."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m

SUMS = ["vendas", "valor_contrato", "valor_prosoluto"]

f = ui.current_filters()
ui.page_header("Pró-soluto", f, "parte do contrato financiada pela própria incorporadora")

with ui.guarded():
    rows = data.prosoluto_by_month_and_development(f)

if rows.empty:
    ui.empty()
    st.stop()


def with_share(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    pairs = zip(df["valor_prosoluto"], df["valor_contrato"], strict=True)
    df["participacao"] = [m.ratio(prosoluto, contract) for prosoluto, contract in pairs]
    df["participacao_texto"] = df["participacao"].map(fmt.percent)
    return df


TOOLTIP = [alt.Tooltip("mes_rotulo:N", title="Mês"),
           alt.Tooltip("participacao_texto:N", title="Participação"), alt.Tooltip("vendas:Q", title="Vendas")]


@ui.cached_chart
def monthly_chart(rows: pd.DataFrame) -> dict:
    monthly = with_share(ui.with_month_labels(rows.groupby("mes", as_index=False)[SUMS].sum()))
    return ui.spec(alt.Chart(monthly).mark_line(point=True, color="#0B6E4F").encode(
        x=ui.month_axis(), tooltip=TOOLTIP,
        y=alt.Y("participacao:Q", title="Pró-soluto ÷ contrato", axis=alt.Axis(format=".0%")),
    ).properties(height=300))


@ui.cached_chart
def heat_map(rows: pd.DataFrame) -> dict:
    return ui.spec(alt.Chart(with_share(ui.with_month_labels(rows))).mark_rect().encode(
        x=ui.month_axis(title=None), y=alt.Y("empreendimento:N", title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("participacao:Q", title="Pró-soluto", scale=alt.Scale(scheme="oranges"),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("empreendimento:N", title="Empreendimento"), *TOOLTIP],
    ).properties(height=alt.Step(36)))


totals = with_share(rows[SUMS].sum().to_frame().T).iloc[0]
c = st.columns(4)
c[0].metric("Participação do pró-soluto", totals["participacao_texto"], border=True,
            help="Pró-soluto ÷ valor dos contratos das vendas do período.")
c[1].metric("Valor em pró-soluto", fmt.brl_compact(totals["valor_prosoluto"]), border=True,
            help=fmt.brl(totals["valor_prosoluto"]))
c[2].metric("Valor dos contratos", fmt.brl_compact(totals["valor_contrato"]), border=True,
            help=fmt.brl(totals["valor_contrato"]))
c[3].metric("Vendas", fmt.integer(totals["vendas"]), border=True)

st.subheader("Participação por mês")
ui.show_chart(monthly_chart(rows))

st.subheader("Participação por empreendimento e mês")
ui.show_chart(heat_map(rows))

st.subheader("Por empreendimento")
by_development = with_share(rows.groupby("empreendimento", as_index=False)[SUMS].sum())
ui.table(by_development.sort_values("participacao", ascending=False),
         {"empreendimento": "Empreendimento", "vendas": "Vendas", "valor_contrato": "Valor dos contratos",
          "valor_prosoluto": "Pró-soluto", "participacao_texto": "Participação"},
         money=("valor_contrato", "valor_prosoluto"), integers=("vendas",))
