"""Pró-soluto: the share of the contract value the developer finances itself, by development
and by month, for the sales of the period."""

import streamlit as st

from dashboard import data, ui
from dashboard.views import prosoluto as view

f = ui.current_filters()
ui.page_header("Pró-soluto", f, "parte do contrato financiada pela própria incorporadora")
ui.require_marts("prosoluto", "vendas")
page = ui.page_model(view.prosoluto_page, f)

ui.show_cards(page["cards"])

st.subheader("Participação por mês")
ui.show_chart(page["monthly"])

st.subheader("Participação por empreendimento e mês")
ui.show_chart(page["heat_map"])
ui.top_only(page["heat_map_rows"], page["total"], "maior valor de contratos")

st.subheader("Por empreendimento")
ui.table_with_downloads(page["developments"], page["total"], "os de maior participação",
                        lambda: view.with_share(data.prosoluto_by_development(f, limit=None)),
                        view.DEVELOPMENT_COLUMNS,
                        f"prosoluto_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv")
