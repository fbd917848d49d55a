"""Estoque: today's stock by development, tipologia and price band (table prices in force), units
available now, months of stock at the recent pace, and the units available over time."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.views import estoque as view

f = ui.current_filters()
ui.page_header("Estoque", f, "posição do último build; o período vale só para o histórico e o filtro de "
               "imobiliárias não se aplica")
ui.require_marts("estoque", "estoque_empreendimentos", "estoque_historico")
page = ui.page_model(view.stock_page, f)
stamp = f"{ui.today():%Y%m%d}"

ui.show_cards(page["cards"])
if page["as_of"] is not None:
    st.caption(f"Estoque em {fmt.day(page['as_of'])}, pelos preços de tabela vigentes nesse dia.")

st.subheader("Por empreendimento")
ui.table_with_downloads(page["developments"], page["developments_total"], "os de maior VGV em estoque",
                        lambda: data.stock_developments(f, limit=None), view.DEVELOPMENT_COLUMNS,
                        f"estoque_empreendimentos_{stamp}.csv")

st.subheader("Por tipologia e faixa de preço")
if page["heat_map"] is None:
    ui.empty("Nenhuma unidade em estoque nos empreendimentos escolhidos.")
else:
    ui.show_chart(page["heat_map"])
tipologias, faixas = st.tabs(["Por tipologia", "Por faixa de preço"])
with tipologias:
    ui.table_with_downloads(page["types"], 0, "", lambda: view.by_type(data.stock_by_type(f)),
                            view.TYPE_COLUMNS, f"estoque_tipologias_{stamp}.csv")
with faixas:
    ui.table_with_downloads(page["bands"], 0, "", lambda: view.by_band(data.stock_by_type(f)),
                            view.BAND_COLUMNS, f"estoque_faixas_{stamp}.csv")

st.subheader("Unidades disponíveis ao longo do tempo")
if page["history"] is None:
    ui.empty("Nenhuma foto do estoque no período: o histórico vem de `dbt snapshot`, rodado por "
             "`cvdw-ops run`.")
else:
    ui.show_chart(page["history"])
    st.caption(page["history_note"])
