"""What the Funil page (``app_pages/funil.py``) shows, computed once per filter choice.

The funnel of a period is that of its cohorts: the leads that arrived in its months, each counted
at every stage it has reached since (``marts.funil_mensal``, or ``marts.funil`` lead by lead when
brokerages are chosen or a cut needs the leads themselves)."""

import altair as alt
import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters

# The stages in order: the count's column and its pt-BR name.
STAGES = [("leads", "Lead"), ("visitas_realizadas", "Visita realizada"), ("pastas", "Pasta"),
          ("creditos_aprovados", "Crédito aprovado"), ("reservas", "Reserva"), ("vendas", "Venda"),
          ("repasses_assinados", "Repasse assinado")]
STAGE_NAMES = [name for _, name in STAGES]
# The step into each stage after the lead (``data.FUNNEL_STEPS``), for its median days.
STEPS = list(data.FUNNEL_STEPS)
STAGE_COLUMNS = {"etapa": "Etapa", "quantidade": "Leads", "conv_anterior": "Da anterior",
                 "conv_lead": "Dos leads", "mediana_texto": "Mediana de dias"}
GREENS = ["#C7E6D8", "#A3D4BE", "#7FB8A4", "#5A9E87", "#35846A", "#1E7556", "#0B6E4F"]
# The cuts the page offers (label → ``data.FUNNEL_GROUPS`` key, or the broker), and the tables'
# columns.
BROKER = "corretor"
GROUPS = {"Origem": "origem", "Mídia": "midia_original", "Última origem": "origem_ultimo",
          "Última mídia": "midia_ultimo", "Corretor": BROKER}
COUNT_COLUMNS = {"leads": "Leads", "visitas_realizadas": "Visitas realizadas", "pastas": "Pastas",
                 "creditos_aprovados": "Créditos aprovados", "reservas": "Reservas", "vendas": "Vendas",
                 "conv_lead_visita": "Lead → visita", "conv_lead_reserva": "Lead → reserva",
                 "conv_lead_venda": "Lead → venda"}
COUNTS = ("leads", "visitas_realizadas", "pastas", "creditos_aprovados", "reservas", "vendas")
RATES = ("conv_lead_visita", "conv_lead_reserva", "conv_lead_venda")
BROKER_COLUMNS = {"nome": "Corretor", "imobiliaria": "Imobiliária"} | COUNT_COLUMNS
SHOWN = 20  # rows of a cut on screen; its downloads have them all
# Conversions from the lead drawn per cohort month.
COHORT_LINES = [("visitas_realizadas", "Visita realizada"), ("reservas", "Reserva"), ("vendas", "Venda")]


def stage_rows(totals: dict, medians: dict) -> pd.DataFrame:
    """One row per stage: how many leads reached it, the share of the stage before and of the
    leads, and the median days from the stage before (none for the lead itself)."""
    counts = [totals[key] for key, _ in STAGES]
    rows = pd.DataFrame({"etapa": STAGE_NAMES, "quantidade": counts})
    steps = zip(counts, counts[1:], strict=False)
    rows["conv_anterior"] = [None, *(m.ratio(n, before) for before, n in steps)]
    rows["conv_lead"] = [m.ratio(n, counts[0]) for n in counts]
    rows["mediana_dias"] = [None, *(medians.get(f"mediana_dias_{step}") for step in STEPS)]
    rows["mediana_texto"] = rows["mediana_dias"].map(fmt.days)
    return rows


def funnel_chart(stages: pd.DataFrame) -> dict:
    """Bars centred on one axis, widest at the lead, each labelled with its count and its share
    of the leads."""
    chart_data = stages[["etapa", "quantidade", "conv_lead", "conv_anterior"]].copy()
    chart_data["fim"] = chart_data["quantidade"] / 2
    chart_data["inicio"] = -chart_data["fim"]
    chart_data["rotulo"] = [f"{fmt.integer(n)} · {fmt.percent(p)}"
                            for n, p in zip(chart_data["quantidade"], chart_data["conv_lead"], strict=True)]
    chart_data["anterior"] = chart_data["conv_anterior"].map(fmt.percent)
    widest = float(chart_data["quantidade"].max() or 1)
    x = alt.Scale(domain=[-widest / 2, widest / 2 * 1.45])
    y = alt.Y("etapa:N", sort=STAGE_NAMES, title=None,
              axis=alt.Axis(labelLimit=200, ticks=False, domain=False, labelFontSize=12))
    tooltip = [alt.Tooltip("etapa:N", title="Etapa"), alt.Tooltip("rotulo:N", title="Leads · dos leads"),
               alt.Tooltip("anterior:N", title="Da etapa anterior")]
    bars = alt.Chart(chart_data).mark_bar(cornerRadius=3).encode(
        x=alt.X("inicio:Q", scale=x, axis=None), x2="fim:Q", y=y, tooltip=tooltip,
        color=alt.Color("etapa:N", sort=STAGE_NAMES, scale=alt.Scale(domain=STAGE_NAMES, range=GREENS),
                        legend=None))
    labels = alt.Chart(chart_data).mark_text(align="left", dx=6, fontSize=13, color="#1F2A30").encode(
        x=alt.X("fim:Q", scale=x, axis=None), y=y, text="rotulo:N")
    return ui.spec((bars + labels).properties(height=alt.Step(46)))


def cohort_rates(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Per cohort month, the share of its leads that reached each of ``COHORT_LINES`` (long form)."""
    rows = []
    for key, name in COHORT_LINES:
        part = cohorts[["mes", "leads", key]].rename(columns={key: "quantidade"})
        part["taxa"] = part["quantidade"] / part["leads"].where(part["leads"] > 0)
        part["etapa"] = name
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def cohort_chart(cohorts: pd.DataFrame) -> dict:
    chart_data = ui.with_month_labels(cohort_rates(cohorts))
    chart_data["taxa_texto"] = chart_data["taxa"].map(fmt.percent)
    names = [name for _, name in COHORT_LINES]
    return ui.spec(alt.Chart(chart_data).mark_line(point=True).encode(
        x=ui.month_axis(title="Mês de chegada do lead"),
        y=alt.Y("taxa:Q", title="Leads que chegaram à etapa", axis=alt.Axis(format=".0%")),
        color=alt.Color("etapa:N", sort=names, scale=alt.Scale(domain=names, range=["#7FB8A4", "#E8A33D",
                                                                                      "#0B6E4F"])),
        tooltip=[alt.Tooltip("mes_rotulo:N", title="Coorte"), alt.Tooltip("etapa:N", title="Etapa"),
                 alt.Tooltip("taxa_texto:N", title="Dos leads"),
                 alt.Tooltip("quantidade:Q", title="Leads na etapa", format=",d"),
                 alt.Tooltip("leads:Q", title="Leads da coorte", format=",d")],
    ).properties(height=300))


def cut_view(rows: pd.DataFrame, labels: dict[str, str], csv_only: tuple = ()) -> dict:
    return ui.table_view(rows, labels, integers=COUNTS, percents=RATES, csv_only=csv_only)


def skipped_stages(stages: pd.DataFrame) -> list[str]:
    """The stages with more leads than the one before: leads reach them without the stage before
    (a reservation without a pasta, a cash sale without credit)."""
    more = stages["quantidade"].diff() > 0
    return stages.loc[more, "etapa"].tolist()


def cohort_note(f: Filters) -> str:
    first, last = f.period.first_month, f.period.last_month
    months = fmt.month_long(first) if first == last else f"{fmt.month_short(first)} a {fmt.month_short(last)}"
    return f"leads que chegaram em {months}, em cada etapa que já alcançaram"


@ui.page_cache
def funnel_page(f: Filters, by: str) -> dict | None:
    """The page for these filters with the cut ``by``: one lookup on a warm run, whose two parts
    are cached on their own, so that switching the cut reads only the cut."""
    summary = funnel_summary(f)
    return None if summary is None else summary | {"cut": group_table(f, by)}


@ui.page_cache
def funnel_summary(f: Filters) -> dict | None:
    """The page's cards, charts and stage table for these filters; None when the cohorts have no
    lead."""
    totals = data.funnel_totals(f)
    if not totals["leads"]:
        return None
    stages = stage_rows(totals, data.funnel_medians(f))
    leads = totals["leads"]
    cards = [
        ui.kpi("Leads", fmt.integer(leads), help="Leads que chegaram nos meses do período."),
        ui.kpi("Visitas realizadas", fmt.integer(totals["visitas_realizadas"]),
               help=f"{fmt.percent(m.ratio(totals['visitas_realizadas'], leads))} dos leads já visitaram."),
        ui.kpi("Vendas", fmt.integer(totals["vendas"]),
               help=f"Leads que já compraram; {fmt.integer(totals['distratos'])} distrataram depois."),
        ui.kpi("Conversão lead → venda", fmt.percent(m.ratio(totals["vendas"], leads)),
               help="Vendas ÷ leads das coortes do período."),
    ]
    return {"cards": cards, "funnel": funnel_chart(stages), "skipped": skipped_stages(stages),
            "stages": ui.table_view(stages, STAGE_COLUMNS, integers=("quantidade",),
                                    percents=("conv_anterior", "conv_lead")),
            "cohorts": cohort_chart(data.funnel_by_cohort(f))}


@ui.page_cache
def group_table(f: Filters, by: str) -> dict:
    """The cut by one of ``GROUPS``: its first ``SHOWN`` rows, how many there are, and its
    columns."""
    rows = group_rows(f, by, limit=SHOWN)
    label = next(name for name, key in GROUPS.items() if key == by)
    labels = BROKER_COLUMNS if by == BROKER else {"nome": label} | COUNT_COLUMNS
    csv_only = ("conv_lead_reserva",) if by == BROKER else ()  # room for the brokerage
    what = f"os {SHOWN} {'corretores' if by == BROKER else 'grupos'} com mais leads"
    return {"view": cut_view(rows, labels, csv_only), "total": int(rows["total"].iloc[0]) if len(rows) else 0,
            "labels": labels, "what": what}


def group_rows(f: Filters, by: str, limit: int | None) -> pd.DataFrame:
    return data.funnel_by_broker(f, limit) if by == BROKER else data.funnel_by(f, by, limit)
