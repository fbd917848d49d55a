"""Comissões: commissions of the period's sales by situation, paid against to pay, top brokers
and brokerages, and the commissions table with a CSV download."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.ui import Card

CARDS = [Card("Comissões geradas", "valor_comissao", money=True), Card("Pagas", "valor_pago", money=True),
         Card("A pagar", "valor_a_pagar", money=True), Card("Quantidade de comissões", "comissoes")]
MONEY = ("valor_comissao", "valor_pago", "valor_a_pagar")
RANKING_COLUMNS = {"comissoes": "Comissões", "valor_comissao": "Total", "valor_pago": "Pago",
                   "valor_a_pagar": "A pagar"}
TABLE_COLUMNS = {
    "data_venda": "Data da venda", "empreendimento": "Empreendimento", "corretor": "Corretor",
    "imobiliaria": "Imobiliária", "situacao": "Situação", "valor_contrato": "Valor do contrato",
    "porcentagem_comissao": "% de comissão", "valor_comissao": "Comissão", "valor_pago": "Pago",
    "valor_a_pagar": "A pagar", "data_pagamento": "Data do pagamento", "is_distrato": "Venda distratada",
    "idcomissao": "Comissão nº", "idreserva": "Reserva",
}



@ui.cached_chart
def situation_chart(by_situation: pd.DataFrame) -> dict:
    """Paid and to pay stacked, one bar per situation."""
    long = by_situation.melt(id_vars=["situacao"], value_vars=["valor_pago", "valor_a_pagar"],
                             var_name="parte", value_name="valor")
    long["parte"] = long["parte"].map({"valor_pago": "Pago", "valor_a_pagar": "A pagar"})
    long["valor_texto"] = long["valor"].map(fmt.brl)
    situations = by_situation["situacao"].tolist()
    return ui.spec(alt.Chart(long).mark_bar().encode(
        y=alt.Y("situacao:N", title=None, sort=situations, axis=alt.Axis(labelLimit=240)),
        x=alt.X("valor:Q", title=None, axis=ui.money_axis(), stack="zero"),
        color=alt.Color("parte:N", scale=alt.Scale(domain=["Pago", "A pagar"], range=["#0B6E4F", "#E8A33D"])),
        tooltip=[alt.Tooltip("situacao:N", title="Situação"), alt.Tooltip("parte:N", title="Parte"),
                 alt.Tooltip("valor_texto:N", title="Valor")],
    ).properties(height=alt.Step(44)))


f = ui.current_filters()
ui.page_header("Comissões", f, "comissões das vendas feitas no período")

with ui.guarded():
    summary = data.commission_summary(f)
    by_situation = data.commissions_by_situation(f)
    rankings = {by: data.commission_ranking(f, by) for by in ("corretor", "imobiliaria")}
    commissions = data.commissions_table(f)

if not summary["comissoes"]:
    ui.empty()
    st.stop()

ui.kpi_row(CARDS, summary, {})

st.subheader("Pagas e a pagar, por situação")
ui.show_chart(situation_chart(by_situation))

st.subheader("Quem mais recebe comissão")
RANKINGS = [("corretor", "Corretor", "Corretores"), ("imobiliaria", "Imobiliária", "Imobiliárias")]
for tab, (by, label, _) in zip(st.tabs([r[2] for r in RANKINGS]), RANKINGS, strict=True):
    with tab:
        ui.table(rankings[by], {"nome": label} | RANKING_COLUMNS, money=MONEY, integers=("comissoes",))

st.subheader(f"Comissões do período ({fmt.integer(len(commissions))})")
commissions["porcentagem_comissao"] = commissions["porcentagem_comissao"] / 100
ui.table(commissions, TABLE_COLUMNS, money=("valor_contrato", *MONEY), percents=("porcentagem_comissao",),
         flags=("is_distrato",), dates=("data_venda", "data_pagamento"), ids=("idcomissao", "idreserva"),
         csv_only=("imobiliaria", "valor_contrato", "porcentagem_comissao", "is_distrato", "idcomissao",
                   "idreserva"),
         file_name=f"comissoes_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv")
