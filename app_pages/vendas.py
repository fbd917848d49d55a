"""Vendas: gross sales, distratos and net sales by month (units or VGV), rankings, the current
month against the same month a year before, and the period's sales with a CSV download."""

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.metrics import Period

RANKINGS = [("Empreendimentos", "empreendimento", "Empreendimento"), ("Corretores", "corretor", "Corretor"),
            ("Imobiliárias", "imobiliaria", "Imobiliária")]
MONTH_CARDS = [("Vendas brutas no mês", "vendas_brutas", False),
               ("Vendas líquidas no mês", "vendas_liquidas", False),
               ("VGV bruto no mês", "vgv_bruto", True), ("VGV líquido no mês", "vgv_liquido", True)]
RANKING_COLUMNS = {"vendas_brutas": "Vendas brutas", "distratos": "Distratos",
                   "vendas_liquidas": "Vendas líquidas",
                   "vgv_bruto": "VGV bruto", "vgv_liquido": "VGV líquido"}
RANKING_UNITS = ("vendas_brutas", "distratos", "vendas_liquidas")
SALES_COLUMNS = {
    "data_venda": "Data da venda", "empreendimento": "Empreendimento", "unidade": "Unidade",
    "corretor": "Corretor", "imobiliaria": "Imobiliária", "situacao": "Situação",
    "valor_contrato": "Valor do contrato", "vgv_tabela": "VGV de tabela", "is_distrato": "Distratada",
    "data_distrato": "Data do distrato", "idreserva": "Reserva",
}



@ui.cached_chart
def monthly_chart(monthly: pd.DataFrame, units: bool) -> dict:
    """Gross, cancelled and net side by side for each month."""
    series = (["vendas_brutas", "distratos", "vendas_liquidas"] if units
              else ["vgv_bruto", "vgv_distratos", "vgv_liquido"])
    names = dict(zip(series, ["Vendas brutas", "Distratos", "Vendas líquidas"], strict=True))
    long = ui.with_month_labels(monthly).melt(id_vars=["mes", "mes_rotulo"], value_vars=series,
                                              var_name="serie", value_name="valor")
    long["serie"] = long["serie"].map(names)
    long["valor_texto"] = long["valor"].map(fmt.integer if units else fmt.brl)
    order = list(names.values())
    return ui.spec(alt.Chart(long).mark_bar().encode(
        x=ui.month_axis(),
        xOffset=alt.XOffset("serie:N", sort=order),
        y=alt.Y("valor:Q", title="Unidades" if units else "VGV (R$)",
                axis=alt.Axis(format=",d") if units else ui.money_axis()),
        color=alt.Color("serie:N", sort=order,
                        scale=alt.Scale(domain=order, range=["#7FB8A4", "#D1495B", "#0B6E4F"])),
        tooltip=[alt.Tooltip("mes_rotulo:N", title="Mês"), alt.Tooltip("serie:N", title="Série"),
                 alt.Tooltip("valor_texto:N", title="Valor")],
    ).properties(height=340))


f = ui.current_filters()
ui.page_header("Vendas", f)

# The period's last month (so far) against the same days a year before.
month = Period(f.period.last_month, min(f.period.end, m.month_end(f.period.last_month)))
last_year = m.shift_months(month, -12)
with ui.guarded():
    monthly = data.monthly_sales(f)
    this_month, that_month = data.sales_summary(f, month), data.sales_summary(f, last_year)
    sales = data.sales_table(f)

if not (monthly["vendas_brutas"].sum() or monthly["distratos"].sum()):
    ui.empty()
    st.stop()

so_far = "" if month.end == m.month_end(month.end) else f" (até o dia {month.end.day})"
st.subheader(f"{fmt.month_long(month.start).capitalize()}{so_far} contra {fmt.month_long(last_year.start)}")
for column, (label, key, money) in zip(st.columns(4), MONTH_CARDS, strict=True):
    value = fmt.brl_compact(this_month[key]) if money else fmt.integer(this_month[key])
    before = fmt.brl(that_month[key]) if money else fmt.integer(that_month[key])
    column.metric(label, value, delta=fmt.signed_percent(m.change(this_month[key], that_month[key])),
                  border=True, help=f"De {fmt.period(last_year.start, last_year.end)}: {before}.",
                  delta_description=f"vs. {fmt.month_short(last_year.start)}")

st.subheader("Vendas brutas, distratos e vendas líquidas por mês")
units = (st.segmented_control("Medida", ["Unidades", "VGV"], default="Unidades", key="medida_vendas")
         or "Unidades") == "Unidades"
ui.show_chart(monthly_chart(monthly, units))

st.subheader("Rankings do período")
for tab, (_, by, label) in zip(st.tabs([r[0] for r in RANKINGS]), RANKINGS, strict=True):
    with tab, ui.guarded():
        ui.table(data.ranking(f, by, limit=10), {"nome": label} | RANKING_COLUMNS,
                 money=("vgv_bruto", "vgv_liquido"), integers=RANKING_UNITS)

st.subheader(f"Vendas do período ({fmt.integer(len(sales))})")
ui.table(sales, SALES_COLUMNS, money=("valor_contrato", "vgv_tabela"), flags=("is_distrato",),
         dates=("data_venda", "data_distrato"), ids=("idreserva",),
         csv_only=("situacao", "vgv_tabela", "idreserva"),
         file_name=f"vendas_{f.period.start:%Y%m%d}_{f.period.end:%Y%m%d}.csv")
