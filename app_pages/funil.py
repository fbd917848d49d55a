"""Funil: the leads of the period's cohorts through visita, pasta, crédito, reserva, venda and
repasse; conversion and median days per stage, per cohort month, by origem or mídia and by
corretor, with CSV and Excel downloads."""

import streamlit as st

from dashboard import ui
from dashboard.views import funil as view

f = ui.current_filters()
ui.page_header("Funil comercial", f, view.cohort_note(f))
ui.require_marts("funil", "funil_mensal")
# The cut chosen on the last run (the control is drawn further down): one cached lookup per run.
by = view.GROUPS[st.session_state.get("funil_grupo") or "Origem"]
page = ui.page_model(view.funnel_page, f, by)

ui.show_cards(page["cards"])

left, right = st.columns([5, 6])
with left:
    st.subheader("Do lead ao repasse")
    ui.show_chart(page["funnel"])
with right:
    st.subheader("Conversão por etapa")
    ui.show_table(page["stages"])
    st.caption("Cada lead conta em todas as etapas que já alcançou. Da anterior: leads da etapa ÷ leads "
               "da etapa anterior. Mediana de dias: da etapa anterior a esta, entre os leads que passaram "
               "pelas duas.")
    if page["skipped"]:
        st.caption(f"{' e '.join(page['skipped'])}: mais leads que na etapa anterior, porque há quem chegue "
                   "a ela sem passar pela anterior (uma reserva sem pasta, uma compra à vista sem crédito).")

st.subheader("Conversão por mês de chegada do lead")
ui.show_chart(page["cohorts"])
st.caption("Coortes recentes ainda estão em andamento: seus leads tiveram menos tempo para avançar.")

st.subheader("Por origem, mídia e corretor")
st.segmented_control("Agrupar por", list(view.GROUPS), default="Origem", key="funil_grupo")
cut = page["cut"]
ui.table_with_downloads(cut["view"], cut["total"], cut["what"], lambda: view.group_rows(f, by, limit=None),
                        cut["labels"], f"funil_{by}_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv")
