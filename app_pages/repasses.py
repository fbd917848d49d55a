"""Repasses: the bank repasses of the period's sales — the open pipeline by stage and age, what is
still to receive, the days to funds released by bank — and how the pipeline moved over time."""

import streamlit as st

from dashboard import data, ui
from dashboard.views import repasses as view

f = ui.current_filters()
ui.page_header("Repasses", f, "repasses das vendas feitas no período; o filtro de imobiliárias não se aplica")
ui.require_marts("repasses", "repasses_historico")
page = ui.page_model(view.repasses_page, f)
stamp = f"{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}"

ui.show_cards(page["cards"])

st.subheader("Em aberto, por etapa e tempo desde a venda")
if page["pipeline"] is None:
    ui.empty("Todos os repasses das vendas do período já tiveram o recurso liberado.")
else:
    ui.show_chart(page["pipeline"])
    ui.table_with_downloads(page["pipeline_table"], page["pipeline_rows"], "", lambda: view.pipeline_table(
        data.repasses_pipeline(f))[0], page["pipeline_labels"], f"repasses_em_aberto_{stamp}.csv")

st.subheader("Tempo até o recurso, por banco")
if page["bank_chart"] is not None:
    ui.show_chart(page["bank_chart"])
st.caption("Medianas de dias entre as datas de cada repasse: venda, assinatura do contrato e recurso "
           "liberado.")
ui.table_with_downloads(page["banks"], page["banks_total"], "os bancos com mais repasses",
                        lambda: data.repasses_by_bank(f, limit=None), view.BANK_COLUMNS,
                        f"repasses_bancos_{stamp}.csv")

st.subheader("Evolução do pipeline em aberto")
if page["history"] is None:
    ui.empty("Nenhuma foto do pipeline no período: o histórico vem de `dbt snapshot`, rodado por "
             "`cvdw-ops run`.")
else:
    ui.show_chart(page["history"])
    notes = [page["history_note"], "Repasses de todos os empreendimentos em cada etapa, em cada dia com "
             "foto, sem a etapa final (recurso liberado), que só acumula."]
    if f.empreendimentos:
        notes.append("O filtro de empreendimentos não se aplica a este histórico.")
    st.caption(" ".join(notes))
