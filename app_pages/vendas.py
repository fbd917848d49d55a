"""Vendas: gross sales, distratos and net sales by month (units or VGV), rankings, the current
month against the same month a year before, and the period's sales with a CSV download."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.views import metas
from dashboard.views import vendas as view

f = ui.current_filters()
ui.page_header("Vendas", f)
ui.require_marts("vendas")
page = ui.page_model(view.sales_page, f)

month, last_year = view.this_month(f.period)
so_far = "" if month.end == m.month_end(month.end) else f" (até o dia {month.end.day})"
st.subheader(f"{fmt.month_long(month.start).capitalize()}{so_far} contra {fmt.month_long(last_year.start)}")
ui.show_cards(page["cards"])
metas.show(f)

st.subheader("Vendas brutas, distratos e vendas líquidas por mês")
units = (st.segmented_control("Medida", ["Unidades", "VGV"], default="Unidades", key="medida_vendas")
         or "Unidades") == "Unidades"
with ui.guarded():
    ui.show_chart(view.monthly_chart(f, units))

st.subheader("Rankings do período")
for tab, ranking in zip(st.tabs([r[0] for r in view.RANKINGS]), page["rankings"], strict=True):
    with tab:
        ui.show_table(ranking)

st.subheader(f"Vendas do período ({fmt.integer(page['sold'])})")
ui.table_with_downloads(page["sales"], page["sold"], "as mais recentes",
                        lambda: data.sales_table(f, limit=None), view.SALES_COLUMNS,
                        f"vendas_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv", flags=("is_distrato",))
