"""What the Estoque page (``app_pages/estoque.py``) shows, computed once per filter choice: today's
stock per development, tipologia and price band at the table price in force, units available now,
months of stock at the recent pace, and the units available over time (from dbt's snapshots)."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters

DEVELOPMENT_COLUMNS = {
    "empreendimento": "Empreendimento", "unidades_estoque": "Unidades em estoque",
    "vgv_estoque": "VGV em estoque",
    "unidades_disponiveis": "Disponíveis agora", "vgv_disponivel": "VGV disponível",
    "vendas_liquidas_3m": "Vendas líquidas (3 meses)", "media_vendas_3m": "Vendas líquidas por mês",
    "meses_estoque": "Meses de estoque",
}
TYPE_COLUMNS = {"tipologia": "Tipologia", "unidades_estoque": "Unidades em estoque",
                "unidades_disponiveis": "Disponíveis agora", "vgv_estoque": "VGV em estoque",
                "preco_medio": "Preço médio de tabela", "preco_m2": "Preço médio por m²"}
BAND_COLUMNS = {"faixa_preco": "Faixa de preço", "unidades_estoque": "Unidades em estoque",
                "participacao": "Do estoque", "unidades_disponiveis": "Disponíveis agora",
                "vgv_estoque": "VGV em estoque"}
SUMS = ["unidades_estoque", "unidades_disponiveis", "vgv_estoque", "unidades_com_preco", "area_com_preco"]
HISTORY_LINES = 8  # developments a history shows on their own; the others together


def by_type(rows: pd.DataFrame) -> pd.DataFrame:
    """``data.stock_by_type`` per tipologia, the most units in stock first, with the average table
    price and price per m² of the units in stock that have a price."""
    out = rows.groupby("tipologia", as_index=False)[SUMS].sum()
    out["preco_medio"] = out["vgv_estoque"] / out["unidades_com_preco"].where(out["unidades_com_preco"] > 0)
    out["preco_m2"] = out["vgv_estoque"] / out["area_com_preco"].where(out["area_com_preco"] > 0)
    return out.sort_values(["unidades_estoque", "tipologia"], ascending=[False, True], ignore_index=True)


def by_band(rows: pd.DataFrame) -> pd.DataFrame:
    """The same per price band, in the seed's order (units without a price last), with each band's
    share of the units in stock."""
    out = (rows.assign(ordem=rows["faixa_ordem"].fillna(float("inf")))
           .groupby(["ordem", "faixa_preco"], as_index=False)[SUMS].sum()
           .sort_values("ordem", ignore_index=True))
    total = out["unidades_estoque"].sum()
    out["participacao"] = out["unidades_estoque"] / total if total else None
    return out.drop(columns="ordem")


def band_order(rows: pd.DataFrame) -> list[str]:
    return by_band(rows)["faixa_preco"].tolist()


def type_band_heat_map(rows: pd.DataFrame) -> dict:
    """Tipologia × price band cells coloured by the units in stock, the count written in each."""
    chart_data = rows[rows["unidades_estoque"] > 0].copy()
    chart_data["vgv_texto"] = fmt.brl_many(chart_data["vgv_estoque"])
    types = sorted(chart_data["tipologia"].unique())
    base = alt.Chart(chart_data).encode(
        x=alt.X("faixa_preco:N", title="Faixa de preço de tabela", sort=band_order(rows),
                axis=alt.Axis(labelAngle=0, labelLimit=200)),
        y=alt.Y("tipologia:N", title=None, sort=types, axis=alt.Axis(labelLimit=220)))
    heat = base.mark_rect().encode(
        color=alt.Color("unidades_estoque:Q", title="Unidades em estoque", scale=alt.Scale(scheme="greens")),
        tooltip=[alt.Tooltip("tipologia:N", title="Tipologia"), alt.Tooltip("faixa_preco:N", title="Faixa"),
                 alt.Tooltip("unidades_estoque:Q", title="Unidades em estoque", format=",d"),
                 alt.Tooltip("unidades_disponiveis:Q", title="Disponíveis agora", format=",d"),
                 alt.Tooltip("vgv_texto:N", title="VGV em estoque")])
    dark_cells = 0.6 * (chart_data["unidades_estoque"].max() or 0)
    labels = base.mark_text(fontSize=12).encode(
        text=alt.Text("unidades_estoque:Q", format=",d"),
        color=alt.condition(f"datum.unidades_estoque > {dark_cells}", alt.value("white"),
                            alt.value("#1F2A30")))
    return ui.spec((heat + labels).properties(height=alt.Step(40)))


def development_view(developments: pd.DataFrame) -> dict:
    shown = developments.copy()
    for column in ("media_vendas_3m", "meses_estoque"):
        shown[column] = shown[column].map(fmt.decimal)
    return ui.table_view(shown, DEVELOPMENT_COLUMNS, money=("vgv_estoque", "vgv_disponivel"),
                         integers=("unidades_estoque", "unidades_disponiveis", "vendas_liquidas_3m"),
                         csv_only=("vgv_disponivel", "vendas_liquidas_3m"))


def history_chart(history: pd.DataFrame) -> dict:
    order = history.sort_values("posicao")["empreendimento"].drop_duplicates().tolist()
    return ui.history_chart(history, "unidades_disponiveis", "empreendimento", order, "Unidades disponíveis",
                            "Empreendimento")


@ui.page_cache
def stock_page(f: Filters) -> dict | None:
    """The page's cards, charts and tables for these filters; None when the chosen developments
    have no stock row."""
    summary = data.stock_summary(f)
    if not summary["empreendimentos"]:
        return None
    months = m.ratio(summary["unidades_estoque"], summary["media_vendas_3m"])
    cards = [
        ui.kpi("Unidades em estoque", fmt.integer(summary["unidades_estoque"]),
               help="Unidades lançadas e não vendidas (uma venda distratada volta ao estoque)."),
        ui.kpi("VGV em estoque", fmt.brl_compact(summary["vgv_estoque"]),
               help=f"Pelo preço de tabela vigente hoje: {fmt.brl(summary['vgv_estoque'])}."),
        ui.kpi("Disponíveis agora", fmt.integer(summary["unidades_disponiveis"]),
               help=f"Livres no mapa de disponibilidade do CV; VGV {fmt.brl(summary['vgv_disponivel'])}."),
        ui.kpi("Meses de estoque", fmt.decimal(months),
               help="Unidades em estoque ÷ média mensal de vendas líquidas dos 3 meses antes deste; "
                    "“—” quando esse ritmo é zero ou negativo."),
    ]
    developments = data.stock_developments(f)
    types = data.stock_by_type(f)
    history = data.stock_history(f, HISTORY_LINES)
    bands = by_band(types)
    return {"cards": cards, "as_of": data.stock_as_of(), "developments": development_view(developments),
            "developments_total": int(developments["total"].iloc[0]) if len(developments) else 0,
            "heat_map": type_band_heat_map(types) if types["unidades_estoque"].sum() else None,
            "types": ui.table_view(by_type(types), TYPE_COLUMNS,
                                   money=("vgv_estoque", "preco_medio", "preco_m2"),
                                   integers=("unidades_estoque", "unidades_disponiveis")),
            "bands": ui.table_view(bands, BAND_COLUMNS, money=("vgv_estoque",), percents=("participacao",),
                                   integers=("unidades_estoque", "unidades_disponiveis")),
            "history": history_chart(history) if len(history) else None,
            "history_note": ui.history_note(history["data"])}
