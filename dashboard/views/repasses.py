"""What the Repasses page (``app_pages/repasses.py``) shows, computed once per filter choice: the
repasses of the period's sales, their open pipeline by stage and age, the days to funds released by
bank, what is still to receive, and how the whole pipeline moved (from dbt's snapshots)."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.data import Filters

# The mart's aging buckets on the days since the sale, youngest first (and the repasses without a
# sale date, which the period's filter on that date leaves out anyway).
AGING = ["0 a 30 dias", "31 a 60 dias", "61 a 90 dias", "91 a 180 dias", "Mais de 180 dias",
         "Sem data da venda"]
AGING_COLORS = ["#0B6E4F", "#7FB8A4", "#E8C547", "#E8A33D", "#D1495B", "#9AA5AB"]
# A stage's colour by its place in the seed (1 first), so that it keeps it whichever stages a chart
# has; a stage the seed does not map is grey.
STAGE_COLORS = ["#C7E6D8", "#7FB8A4", "#35846A", "#0B6E4F", "#E8A33D", "#D1495B", "#1F2A30"]
UNMAPPED_COLOR = "#9AA5AB"
MEDIANS = ("mediana_venda_assinatura", "mediana_assinatura_recurso", "mediana_venda_recurso")
BANK_COLUMNS = {"banco": "Banco", "repasses": "Repasses", "concluidos": "Com recurso liberado",
                "mediana_venda_assinatura": "Venda → assinatura",
                "mediana_assinatura_recurso": "Assinatura → recurso",
                "mediana_venda_recurso": "Venda → recurso", "valor_a_receber": "A receber"}
BANK_CHART_ROWS = 15


def stage_order(rows: pd.DataFrame) -> list[str]:
    """The stages of ``rows`` in the seed's order (``etapa_ordem``), unmapped ones last by name."""
    stages = rows[["etapa", "etapa_ordem"]].drop_duplicates("etapa")
    stages = stages.assign(sem_ordem=stages["etapa_ordem"].isna()).sort_values(
        ["sem_ordem", "etapa_ordem", "etapa"])
    return stages["etapa"].tolist()


def aging_order(rows: pd.DataFrame) -> list[str]:
    present = set(rows["faixa_aging"])
    return [bucket for bucket in AGING if bucket in present]


def pipeline_table(pipeline: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Open repasses as stage × aging bucket counts, with each stage's total and value to receive;
    and the table's column labels."""
    stages, buckets = stage_order(pipeline), aging_order(pipeline)
    counts = pipeline.pivot_table(index="etapa", columns="faixa_aging", values="repasses", aggfunc="sum",
                                  fill_value=0).reindex(index=stages, columns=buckets, fill_value=0)
    totals = pipeline.groupby("etapa")[["repasses", "valor_a_receber"]].sum().reindex(stages)
    table = counts.join(totals).reset_index()
    table.columns.name = None
    labels = {"etapa": "Etapa"} | {b: b for b in buckets} | {"repasses": "Total em aberto",
                                                              "valor_a_receber": "A receber"}
    return table, labels


def pipeline_chart(pipeline: pd.DataFrame) -> dict:
    """One bar per stage, its open repasses stacked by age."""
    chart_data = pipeline.copy()
    chart_data["valor_texto"] = fmt.brl_many(chart_data["valor_a_receber"])
    buckets = aging_order(chart_data)
    chart_data["ordem"] = chart_data["faixa_aging"].map({b: i for i, b in enumerate(AGING)})
    colors = [AGING_COLORS[AGING.index(b)] for b in buckets]
    return ui.spec(alt.Chart(chart_data).mark_bar().encode(
        y=alt.Y("etapa:N", title=None, sort=stage_order(chart_data), axis=alt.Axis(labelLimit=240)),
        x=alt.X("repasses:Q", title="Repasses em aberto", stack="zero",
                axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("faixa_aging:N", sort=buckets, scale=alt.Scale(domain=buckets, range=colors)),
        order=alt.Order("ordem:Q"),
        tooltip=[alt.Tooltip("etapa:N", title="Etapa"), alt.Tooltip("faixa_aging:N", title="Desde a venda"),
                 alt.Tooltip("repasses:Q", title="Repasses", format=",d"),
                 alt.Tooltip("valor_texto:N", title="A receber")],
    ).properties(height=alt.Step(44)))


def bank_chart(banks: pd.DataFrame) -> dict:
    """Median days from the sale to the funds, per bank with funds released."""
    chart_data = banks[banks["mediana_venda_recurso"].notna()].head(BANK_CHART_ROWS).copy()
    chart_data["dias_texto"] = chart_data["mediana_venda_recurso"].map(fmt.days)
    return ui.spec(alt.Chart(chart_data).mark_bar(color="#0B6E4F").encode(
        y=alt.Y("banco:N", title=None, sort="x", axis=alt.Axis(labelLimit=240)),
        x=alt.X("mediana_venda_recurso:Q", title="Mediana de dias da venda ao recurso liberado"),
        tooltip=[alt.Tooltip("banco:N", title="Banco"), alt.Tooltip("dias_texto:N", title="Mediana"),
                 alt.Tooltip("concluidos:Q", title="Com recurso liberado", format=",d")],
    ).properties(height=alt.Step(36)))


def bank_view(banks: pd.DataFrame) -> dict:
    shown = banks.copy()
    for column in MEDIANS:
        shown[column] = shown[column].map(fmt.days)
    return ui.table_view(shown, BANK_COLUMNS, money=("valor_a_receber",), integers=("repasses", "concluidos"))


def stage_colors(rows: pd.DataFrame) -> list[str]:
    """The colour of each of ``stage_order(rows)``."""
    places = dict(zip(rows["etapa"], rows["etapa_ordem"], strict=False))
    return [STAGE_COLORS[(int(places[s]) - 1) % len(STAGE_COLORS)] if pd.notna(places[s]) else UNMAPPED_COLOR
            for s in stage_order(rows)]


def history_chart(history: pd.DataFrame) -> dict:
    return ui.history_chart(history, "repasses", "etapa", stage_order(history), "Repasses", "Etapa",
                            colors=stage_colors(history))


@ui.page_cache
def repasses_page(f: Filters) -> dict | None:
    """The page's cards, charts and tables for these filters; None when the period's sales have no
    repasse."""
    summary = data.repasses_summary(f)
    if not summary["repasses"]:
        return None
    cards = [
        ui.kpi("Repasses em aberto", fmt.integer(summary["em_aberto"]),
               help=f"Dos {fmt.integer(summary['repasses'])} repasses das vendas do período, os que ainda "
                    "não tiveram o recurso liberado."),
        ui.kpi("Valor a receber", fmt.brl_compact(summary["valor_a_receber"]),
               help="Financiamento + FGTS + subsídio dos repasses em aberto: "
                    f"{fmt.brl(summary['valor_a_receber'])}."),
        ui.kpi("Em aberto há mais de 90 dias", fmt.integer(summary["abertos_90"]),
               help="Repasses sem recurso liberado cuja venda foi há mais de 90 dias."),
        ui.kpi("Venda → recurso", fmt.days(summary["mediana_dias_venda_recurso"]),
               help="Mediana de dias da venda ao recurso liberado, entre os "
                    f"{fmt.integer(summary['concluidos'])} repasses com recurso liberado."),
    ]
    pipeline = data.repasses_pipeline(f)
    table, labels = pipeline_table(pipeline)
    banks = data.repasses_by_bank(f)
    history = data.repasses_history(f)
    return {"cards": cards,
            "pipeline": pipeline_chart(pipeline) if len(pipeline) else None,
            "pipeline_table": ui.table_view(table, labels, money=("valor_a_receber",),
                                            integers=tuple(c for c in labels if c not in ("etapa",
                                                                                          "valor_a_receber"))),
            "pipeline_labels": labels, "pipeline_rows": len(table),
            "banks": bank_view(banks), "banks_total": int(banks["total"].iloc[0]) if len(banks) else 0,
            "bank_chart": bank_chart(banks) if banks["mediana_venda_recurso"].notna().any() else None,
            "history": history_chart(history) if len(history) else None,
            "history_note": ui.history_note(history["data"])}
