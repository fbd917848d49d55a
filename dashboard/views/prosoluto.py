"""What the Pró-soluto page (``app_pages/prosoluto.py``) shows, computed once per filter choice."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters

SUMS = ["vendas", "valor_contrato", "valor_prosoluto"]
HEAT_MAP_ROWS = 20  # developments (the largest contract value first): more rows are unreadable
DEVELOPMENT_COLUMNS = {"empreendimento": "Empreendimento", "vendas": "Vendas",
                       "valor_contrato": "Valor dos contratos", "valor_prosoluto": "Pró-soluto",
                       "participacao_texto": "Participação"}
TOOLTIP = [alt.Tooltip("mes_rotulo:N", title="Mês"),
           alt.Tooltip("participacao_texto:N", title="Participação"), alt.Tooltip("vendas:Q", title="Vendas")]


def with_share(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    pairs = zip(df["valor_prosoluto"], df["valor_contrato"], strict=True)
    df["participacao"] = [m.ratio(prosoluto, contract) for prosoluto, contract in pairs]
    df["participacao_texto"] = df["participacao"].map(fmt.percent)
    return df


def monthly_chart(monthly: pd.DataFrame) -> dict:
    chart_data = with_share(ui.with_month_labels(monthly))
    return ui.spec(alt.Chart(chart_data).mark_line(point=True, color="#0B6E4F").encode(
        x=ui.month_axis(), tooltip=TOOLTIP,
        y=alt.Y("participacao:Q", title="Pró-soluto ÷ contrato", axis=alt.Axis(format=".0%")),
    ).properties(height=300))


def heat_map(rows: pd.DataFrame) -> dict:
    return ui.spec(alt.Chart(with_share(ui.with_month_labels(rows))).mark_rect().encode(
        x=ui.month_axis(title=None), y=alt.Y("empreendimento:N", title=None, axis=alt.Axis(labelLimit=260)),
        color=alt.Color("participacao:Q", title="Pró-soluto", scale=alt.Scale(scheme="oranges"),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("empreendimento:N", title="Empreendimento"), *TOOLTIP],
    ).properties(height=alt.Step(36)))


@ui.page_cache
def prosoluto_page(f: Filters) -> dict | None:
    """The page's cards, charts and table for these filters; None when the period has no sales."""
    monthly = data.prosoluto_by_month(f)
    if monthly.empty:
        return None
    totals = with_share(monthly[SUMS].sum().to_frame().T).iloc[0]
    cards = [
        ui.kpi("Participação do pró-soluto", totals["participacao_texto"],
               help="Pró-soluto ÷ valor dos contratos das vendas do período."),
        ui.kpi("Valor em pró-soluto", fmt.brl_compact(totals["valor_prosoluto"]),
               help=fmt.brl(totals["valor_prosoluto"])),
        ui.kpi("Valor dos contratos", fmt.brl_compact(totals["valor_contrato"]),
               help=fmt.brl(totals["valor_contrato"])),
        ui.kpi("Vendas", fmt.integer(totals["vendas"])),
    ]
    top = data.prosoluto_top_developments(f, HEAT_MAP_ROWS)
    developments = data.prosoluto_by_development(f)
    return {"cards": cards, "monthly": monthly_chart(monthly), "heat_map": heat_map(top),
            "heat_map_rows": top["empreendimento"].nunique(),
            "total": int(developments["total"].iloc[0]),
            "developments": ui.table_view(with_share(developments), DEVELOPMENT_COLUMNS,
                                          money=("valor_contrato", "valor_prosoluto"), integers=("vendas",))}
