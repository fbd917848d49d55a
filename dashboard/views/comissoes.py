"""What the Comissões page (``app_pages/comissoes.py``) shows, computed once per filter choice."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.data import Filters
from dashboard.ui import Card

CARDS = [Card("Comissões geradas", "valor_comissao", money=True), Card("Pagas", "valor_pago", money=True),
         Card("A pagar", "valor_a_pagar", money=True), Card("Quantidade de comissões", "comissoes")]
MONEY = ("valor_comissao", "valor_pago", "valor_a_pagar")
RANKING_COLUMNS = {"comissoes": "Comissões", "valor_comissao": "Total", "valor_pago": "Pago",
                   "valor_a_pagar": "A pagar"}
TABLE_COLUMNS = {
    "data_venda": "Data da venda", "empreendimento": "Empreendimento", "corretor": "Corretor",
    "imobiliaria": "Imobiliária", "situacao": "Situação", "valor_contrato": "Valor do contrato",
    "porcentagem_comissao": "% de comissão", "valor_comissao": "Comissão", "valor_pago": "Pago",
    "valor_a_pagar": "A pagar", "data_pagamento": "Data do pagamento", "is_distrato": "Venda distratada",
    "idcomissao": "Comissão nº", "idreserva": "Reserva",
}
CSV_ONLY = ("imobiliaria", "valor_contrato", "porcentagem_comissao", "is_distrato", "idcomissao", "idreserva")
RANKINGS = [("corretor", "Corretor", "Corretores"), ("imobiliaria", "Imobiliária", "Imobiliárias")]


def situation_chart(by_situation: pd.DataFrame) -> dict:
    """Paid and to pay stacked, one bar per situation."""
    long = by_situation.melt(id_vars=["situacao"], value_vars=["valor_pago", "valor_a_pagar"],
                             var_name="parte", value_name="valor")
    long["parte"] = long["parte"].map({"valor_pago": "Pago", "valor_a_pagar": "A pagar"})
    long["valor_texto"] = long["valor"].map(fmt.brl)
    situations = by_situation["situacao"].tolist()
    return ui.spec(alt.Chart(long).mark_bar().encode(
        y=alt.Y("situacao:N", title=None, sort=situations, axis=alt.Axis(labelLimit=240)),
        x=alt.X("valor:Q", title=None, axis=ui.money_axis(), stack="zero"),
        color=alt.Color("parte:N", scale=alt.Scale(domain=["Pago", "A pagar"], range=["#0B6E4F", "#E8A33D"])),
        tooltip=[alt.Tooltip("situacao:N", title="Situação"), alt.Tooltip("parte:N", title="Parte"),
                 alt.Tooltip("valor_texto:N", title="Valor")],
    ).properties(height=alt.Step(44)))


def anomalies_note(count: int) -> str | None:
    """What to say when the totals include commissions whose CVCRM record is anomalous."""
    if not count:
        return None
    which = "comissão tem" if count == 1 else "comissões têm"
    return (f"{fmt.integer(count)} {which} dados anômalos no CVCRM (valor negativo ou percentual "
            "fora de 0% a 100%) e entram nos totais como estão: a página Dados lista quais, para "
            "corrigir no CVCRM.")


@ui.page_cache
def commissions_page(f: Filters) -> dict | None:
    """The page's cards, chart and tables for these filters; None when the period has none."""
    summary = data.commission_summary(f)
    if not summary["comissoes"]:
        return None
    rankings = [ui.table_view(data.commission_ranking(f, by), {"nome": label} | RANKING_COLUMNS,
                              money=MONEY, integers=("comissoes",)) for by, label, _ in RANKINGS]
    commissions = data.commissions_table(f)
    return {"cards": ui.kpi_cards(CARDS, summary, {}), "count": summary["comissoes"],
            "anomalies": anomalies_note(summary["anomalas"]),
            "chart": situation_chart(data.commissions_by_situation(f)), "rankings": rankings,
            "table": ui.table_view(commissions, TABLE_COLUMNS, money=("valor_contrato", *MONEY),
                                   percents=("porcentagem_comissao",), flags=("is_distrato",),
                                   dates=("data_venda", "data_pagamento"), ids=("idcomissao", "idreserva"),
                                   csv_only=CSV_ONLY)}
