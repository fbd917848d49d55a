"""Comissões: commissions of the period's sales by situation, paid against to pay, top brokers
and brokerages, and the commissions table with a CSV download."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.views import comissoes as view

f = ui.current_filters()
ui.page_header("Comissões", f, "comissões das vendas feitas no período")
ui.require_marts("comissoes")
page = ui.page_model(view.commissions_page, f)

ui.show_cards(page["cards"])
if page["anomalies"]:
    st.caption(f":material/warning: {page['anomalies']}")

st.subheader("Pagas e a pagar, por situação")
ui.show_chart(page["chart"])

st.subheader("Quem mais recebe comissão")
for tab, ranking in zip(st.tabs([r[2] for r in view.RANKINGS]), page["rankings"], strict=True):
    with tab:
        ui.show_table(ranking)

st.subheader(f"Comissões do período ({fmt.integer(page['count'])})")
ui.table_with_downloads(page["table"], page["count"], "as das vendas mais recentes",
                        lambda: data.commissions_table(f, limit=None), view.TABLE_COLUMNS,
                        f"comissoes_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv", ("is_distrato",))
