"""Targets on the Visão geral and Vendas pages: net sales (units and VGV) against ``marts.metas``
for the period's last month and the year up to it. An account without targets (an empty seed, so
an empty mart) gets a note saying where to set them, never an attainment of zero; a missing mart
a note too: the rest of those pages does not depend on it."""

from datetime import date

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.data import Filters

NO_TARGETS = ("Sem metas cadastradas: para acompanhar o atingimento, preencha as metas de vendas líquidas "
              "por empreendimento e mês em dbt_project/metas/metas.csv e rode `dbt build`.")
BROKERAGES_NOTE = "As metas são por empreendimento: o realizado conta as vendas de todas as imobiliárias."
# (label, target key, realised key, money) of each card: the month's first, then the year's.
CARDS = [("Meta do mês · unidades", "meta_unidades", "vendas_liquidas", False),
         ("Meta do mês · VGV", "meta_vgv", "vgv_liquido", True),
         ("Meta do ano · unidades", "meta_unidades_ano", "vendas_liquidas_ano", False),
         ("Meta do ano · VGV", "meta_vgv_ano", "vgv_liquido_ano", True)]


def attainment_cards(t: dict, month: date) -> list[dict]:
    """Each card: realised ÷ target as the value, "realised de target" under it; "—" and no line
    under it when there is no target (none set, or zero)."""
    months = {"mes": fmt.month_long(month), "ano": f"janeiro a {fmt.month_long(month)}"}
    cards = []
    for label, target_key, done_key, money in CARDS:
        target, done = t.get(target_key), t.get(done_key) or 0
        when = months["ano" if target_key.endswith("_ano") else "mes"]
        rate = m.ratio(done, target)
        show = fmt.brl_compact if money else fmt.integer
        what = "VGV líquido" if money else "Vendas líquidas"
        if rate is None:
            kind = "VGV" if money else "unidades"
            cards.append({"label": label, "value": fmt.MISSING, "delta": None,
                          "help": f"Sem meta de {kind} para {when} nos empreendimentos escolhidos."})
            continue
        unit = "" if money else " unidades"
        cards.append({"label": label, "value": fmt.percent(rate),
                      "delta": f"{show(done)} de {show(target)}{unit}",
                      "delta_color": "off", "delta_arrow": "off",
                      "help": f"{what} de {when} ÷ meta, nos empreendimentos com meta: "
                              f"{fmt.brl(done) if money else fmt.integer(done)} de "
                              f"{fmt.brl(target) if money else fmt.integer(target)}."})
    return cards


@ui.page_cache
def _section(f: Filters, month: date) -> dict:
    t = data.targets(f, month)
    if not t["linhas_ano"]:
        return {"note": f"Sem metas para {month.year} nos empreendimentos escolhidos."}
    return {"cards": attainment_cards(t, month)}


def section(f: Filters) -> dict:
    """``{"cards": [...]}`` for the period's last month, or ``{"note": text}`` when there is nothing
    to measure against (no targets, or no ``marts.metas`` to read)."""
    state = data.mart_states()["metas"]
    if state in (data.EMPTY, data.HIDDEN):  # no targets (of this user's accounts)
        return {"note": NO_TARGETS}
    if state != data.READY:
        return {"note": data.mart_problems(["metas"])[0][1]}
    return _section(f, f.period.last_month)


def show(f: Filters) -> None:
    """The targets section of a page: its cards, or the note that stands for them."""
    month = f.period.last_month
    st.subheader("Metas")
    with ui.guarded():
        targets = section(f)
    if "note" in targets:
        ui.empty(targets["note"])
        return
    running = " (mês em andamento)" if month == m.month_start(ui.today()) else ""
    st.caption(f"Vendas líquidas de {fmt.month_long(month)}{running} e do ano até ele, contra as metas "
               "dos empreendimentos.")
    ui.show_cards(targets["cards"])
    if f.imobiliarias:
        st.caption(BROKERAGES_NOTE)
