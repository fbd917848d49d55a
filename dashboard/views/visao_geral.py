"""What the Visão geral page (``app_pages/visao_geral.py``) shows, computed once per filter choice."""

from dataclasses import replace

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters
from dashboard.ui import Card

SALES = [
    Card("Vendas brutas", "vendas_brutas", help="Unidades vendidas no período."),
    Card("VGV bruto", "vgv_bruto", money=True, help="Soma dos contratos vendidos no período:"),
    Card("Vendas líquidas", "vendas_liquidas", help="Vendas brutas menos distratos do período."),
    Card("VGV líquido", "vgv_liquido", money=True, help="VGV bruto menos o VGV distratado no período:"),
]
COMMISSIONS = [
    Card("Comissões geradas", "valor_comissao", money=True, help="Comissões das vendas do período:"),
    Card("Comissões pagas", "valor_pago", money=True, help="Já pagas:"),
    Card("Comissões a pagar", "valor_a_pagar", money=True, help="Ainda a pagar:", lower_is_better=True),
]



def net_sales_chart(monthly: pd.DataFrame) -> dict:
    chart_data = ui.with_month_labels(monthly)
    chart_data["vgv_texto"] = chart_data["vgv_liquido"].map(fmt.brl)
    return ui.spec(alt.Chart(chart_data).mark_bar(color="#0B6E4F").encode(
        x=ui.month_axis(),
        y=alt.Y("vendas_liquidas:Q", title="Unidades líquidas"),
        tooltip=[alt.Tooltip("mes_rotulo:N", title="Mês"),
                 alt.Tooltip("vendas_liquidas:Q", title="Vendas líquidas", format=",d"),
                 alt.Tooltip("vgv_texto:N", title="VGV líquido")],
    ).properties(height=320))


@ui.page_cache
def overview(f: Filters) -> dict | None:
    """The page's cards, chart and table for these filters; None when the period has no data."""
    previous = m.previous_period(f.period)
    now, before = data.sales_summary(f), data.sales_summary(f, previous)
    com, com_before = data.commission_summary(f), data.commission_summary(f, previous)
    if not (now["vendas_brutas"] or now["distratos"] or com["comissoes"]):
        return None
    vso_now = data.vso_summary(f)
    vso_before = data.vso_summary(replace(f, period=previous))
    ticket = m.ticket_medio(now["vgv_bruto"], now["vendas_brutas"])
    more = [
        ui.kpi("Distratos", fmt.integer(now["distratos"]), m.change(now["distratos"], before["distratos"]),
               f"Vendas canceladas no período ({fmt.brl(now['vgv_distratos'])}).", lower_is_better=True),
        ui.rate_kpi("Taxa de distrato", m.taxa_distrato(now["distratos"], now["vendas_brutas"]),
                    m.taxa_distrato(before["distratos"], before["vendas_brutas"]),
                    "Distratos ÷ vendas brutas do período.", lower_is_better=True),
        ui.kpi("Ticket médio", fmt.brl_compact(ticket),
               m.change(ticket, m.ticket_medio(before["vgv_bruto"], before["vendas_brutas"])),
               f"VGV bruto ÷ vendas brutas: {fmt.brl(ticket)}."),
        ui.rate_kpi("VSO do período", m.vso(**vso_now), m.vso(**vso_before),
                    "Vendas líquidas ÷ (estoque no início do período + lançamentos). "
                    "Não depende do filtro de imobiliárias."),
    ]
    top = data.ranking(f, "empreendimento", limit=5)
    return {
        "sales": ui.kpi_cards(SALES, now, before) + more,
        "commissions": ui.kpi_cards(COMMISSIONS, com, com_before),
        "chart": net_sales_chart(data.monthly_sales(f)),
        "top": ui.table_view(top, {"nome": "Empreendimento", "vendas_liquidas": "Vendas líquidas",
                                   "vgv_liquido": "VGV líquido"},
                             money=("vgv_liquido",), integers=("vendas_liquidas",)),
    }
