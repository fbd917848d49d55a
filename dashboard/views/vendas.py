"""What the Vendas page (``app_pages/vendas.py``) shows, computed once per filter choice."""

import altair as alt

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters
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


@ui.page_cache
def monthly_chart(f: Filters, units: bool) -> dict:
    """Gross, cancelled and net side by side for each month."""
    monthly = data.monthly_sales(f)
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


def this_month(period: Period) -> tuple[Period, Period]:
    """The period's last month (so far), and the same days a year before."""
    month = Period(period.last_month, min(period.end, m.month_end(period.last_month)))
    return month, m.shift_months(month, -12)


@ui.page_cache
def sales_page(f: Filters) -> dict | None:
    """The page's cards and tables for these filters; None when the period has no sales."""
    monthly = data.monthly_sales(f)
    sold = int(monthly["vendas_brutas"].sum())  # the period's sales: the rows of the sales table
    if not (sold or monthly["distratos"].sum()):
        return None
    month, last_year = this_month(f.period)
    now, before = data.sales_summary(f, month), data.sales_summary(f, last_year)
    cards = []
    for label, key, money in MONTH_CARDS:
        value = fmt.brl_compact(now[key]) if money else fmt.integer(now[key])
        previous = fmt.brl(before[key]) if money else fmt.integer(before[key])
        cards.append(ui.kpi(label, value, m.change(now[key], before[key]),
                            f"De {fmt.period(last_year.start, last_year.end)}: {previous}.")
                     | {"delta_description": f"vs. {fmt.month_short(last_year.start)}"})
    rankings = [ui.table_view(data.ranking(f, by, limit=10), {"nome": label} | RANKING_COLUMNS,
                              money=("vgv_bruto", "vgv_liquido"), integers=RANKING_UNITS)
                for _, by, label in RANKINGS]
    sales = data.sales_table(f)
    return {"cards": cards, "rankings": rankings, "sold": sold,
            "sales": ui.table_view(sales, SALES_COLUMNS, money=("valor_contrato", "vgv_tabela"),
                                   flags=("is_distrato",), dates=("data_venda", "data_distrato"),
                                   ids=("idreserva",), csv_only=("situacao", "vgv_tabela", "idreserva"))}
