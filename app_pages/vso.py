"""VSO: monthly VSO per development (lines and a development × month heat map), stock at the
start of each month and launches, and months of stock at the current pace."""

import streamlit as st

from dashboard import data, ui
from dashboard.views import vso as view

f = ui.current_filters()
ui.page_header("VSO — venda sobre oferta", f,
               "VSO = vendas líquidas ÷ (estoque no início do mês + lançamentos do mês); "
               "o filtro de imobiliárias não se aplica")
ui.require_marts("vso")
page = ui.page_model(view.vso_page, f)

ui.show_cards(page["cards"])
st.subheader("VSO mensal por empreendimento")
ui.show_chart(page["lines"])
ui.top_only(view.LINES, page["developments"], "mais vendas líquidas")
st.subheader("Mapa de calor: empreendimento × mês")
ui.show_chart(page["heat_map"])
ui.top_only(view.HEAT_MAP_ROWS, page["developments"], "mais vendas líquidas")
st.subheader("Estoque no início do mês e lançamentos")
ui.show_chart(page["stock"])
st.caption("Barras: lançamentos do mês · linha: estoque no início do mês.")

st.subheader("Meses de estoque no ritmo atual")
ui.table_with_downloads(page["pace"], page["total"], "os empreendimentos com mais estoque",
                        lambda: view.with_months_of_stock(data.stock_by_development(f, limit=None)),
                        view.PACE_COLUMNS, f"estoque_{f.period.end:%Y%m%d}.csv")
