"""Visão geral: the period's KPIs against the previous equal period, net sales by month, top
developments."""

import streamlit as st

from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard import ui
from dashboard.views import metas
from dashboard.views import visao_geral as view

f = ui.current_filters()
previous = m.previous_period(f.period)
ui.page_header("Visão geral", f, f"comparado com {fmt.period(previous.start, previous.end)}")
ui.require_marts("vendas", "comissoes", "vso")
page = ui.page_model(view.overview, f)

st.subheader("Vendas")
ui.show_cards(page["sales"][:4])
ui.show_cards(page["sales"][4:])
metas.show(f)
st.subheader("Comissões")
ui.show_cards(page["commissions"])

left, right = st.columns([3, 2])
with left:
    st.subheader("Vendas líquidas por mês")
    ui.show_chart(page["chart"])
with right:
    st.subheader("Principais empreendimentos")
    ui.show_table(page["top"])
