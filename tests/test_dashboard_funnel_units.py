"""The pure functions behind the Funil, Repasses and Estoque pages and the targets on Visão geral
and Vendas, on small hand-made frames: no server, no database."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.data import Filters
from dashboard.metrics import Period
from dashboard.views import estoque, funil, metas, repasses

NBSP = "\xa0"


def chart_rows(chart: dict) -> pd.DataFrame:
    """The (first) dataset of a chart spec, which ``ui.spec`` stores as Arrow IPC bytes."""
    return pa.ipc.open_stream(next(iter(chart["datasets"].values()))).read_all().to_pandas()


def values(column: pd.Series) -> list:
    """A column's values with pandas' NaN as None."""
    return [None if pd.isna(v) else v for v in column]


def test_days():
    assert [fmt.days(v) for v in (1, 1.0, 12, 12.5, 0)] == ["1 dia", "1 dia", "12 dias", "12,5 dias",
                                                             "0 dias"]
    assert fmt.days(None) == fmt.days(float("nan")) == "—"


# --------------------------------------------------------------------------- funnel
TOTALS = {"leads": 200, "visitas_realizadas": 80, "pastas": 40, "creditos_aprovados": 30, "reservas": 15,
          "vendas": 12, "repasses_assinados": 0, "distratos": 1}
MEDIANS = {"mediana_dias_lead_visita": 6.5, "mediana_dias_visita_pasta": 3.0,
           "mediana_dias_pasta_credito": 10.0, "mediana_dias_credito_reserva": 2.0,
           "mediana_dias_reserva_venda": 1.0, "mediana_dias_venda_repasse": None}


def test_stage_rows_conversion_and_median_days():
    rows = funil.stage_rows(TOTALS, MEDIANS)
    assert rows["etapa"].tolist() == ["Lead", "Visita realizada", "Pasta", "Crédito aprovado", "Reserva",
                                      "Venda", "Repasse assinado"]
    assert rows["quantidade"].tolist() == [200, 80, 40, 30, 15, 12, 0]
    assert values(rows["conv_anterior"]) == [None, 0.4, 0.5, 0.75, 0.5, 0.8, 0.0]
    assert rows["conv_lead"].tolist() == [1.0, 0.4, 0.2, 0.15, 0.075, 0.06, 0.0]
    assert rows["mediana_texto"].tolist() == ["—", "6,5 dias", "3 dias", "10 dias", "2 dias", "1 dia", "—"]


def test_stage_rows_after_an_empty_stage_have_no_conversion():
    rows = funil.stage_rows(TOTALS | {"pastas": 0, "creditos_aprovados": 0}, {})
    assert values(rows["conv_anterior"])[2:4] == [0.0, None]  # nothing to convert from: undefined, not 0
    assert set(rows["mediana_texto"]) == {"—"}


def test_funnel_chart_keeps_the_stage_order_and_labels():
    chart = funil.funnel_chart(funil.stage_rows(TOTALS, MEDIANS))
    layers = chart["layer"]
    assert layers[0]["encoding"]["y"]["sort"] == funil.STAGE_NAMES
    assert chart["config"]["locale"]["number"]["decimal"] == ","
    labels = chart_rows(chart)["rotulo"]
    assert labels.tolist()[:2] == ["200 · 100,0%", "80 · 40,0%"]


def test_cohort_rates_per_month():
    cohorts = pd.DataFrame({"mes": [date(2026, 1, 1), date(2026, 2, 1)], "leads": [100, 0],
                            "visitas_realizadas": [40, 0], "reservas": [10, 0], "vendas": [5, 0]})
    rates = funil.cohort_rates(cohorts)
    assert rates["etapa"].tolist() == ["Visita realizada"] * 2 + ["Reserva"] * 2 + ["Venda"] * 2
    assert rates["taxa"].iloc[[0, 2, 4]].tolist() == [0.4, 0.1, 0.05]
    assert rates["taxa"].iloc[[1, 3, 5]].isna().all()  # a month without leads has no rate, not 0%


def test_cohort_note_names_the_months():
    f = Filters(Period(date(2025, 12, 1), date(2026, 11, 18)))
    assert funil.cohort_note(f) == "leads que chegaram em dez/25 a nov/26, em cada etapa que já alcançaram"
    one = Filters(Period(date(2026, 11, 1), date(2026, 11, 18)))
    assert "em novembro de 2026," in funil.cohort_note(one)


# --------------------------------------------------------------------------- repasses
PIPELINE = pd.DataFrame({
    "etapa": ["Análise bancária", "Análise bancária", "Contrato assinado", "Não mapeada", "Crédito aprovado"],
    "etapa_ordem": [1, 1, 3, None, 2],
    "faixa_aging": ["0 a 30 dias", "Mais de 180 dias", "31 a 60 dias", "0 a 30 dias", "0 a 30 dias"],
    "repasses": [3, 1, 2, 4, 5],
    "valor_a_receber": [300.0, 100.0, 200.0, 400.0, 0.0],
})


def test_stages_in_seed_order_unmapped_last():
    shuffled = PIPELINE.sample(frac=1, random_state=3)
    assert repasses.stage_order(shuffled) == ["Análise bancária", "Crédito aprovado", "Contrato assinado",
                                              "Não mapeada"]


def test_pipeline_table_is_stage_by_aging():
    table, labels = repasses.pipeline_table(PIPELINE)
    assert list(labels) == ["etapa", "0 a 30 dias", "31 a 60 dias", "Mais de 180 dias", "repasses",
                            "valor_a_receber"]  # only the buckets present, youngest first
    assert table.values.tolist() == [
        # etapa, 0 a 30, 31 a 60, mais de 180, total, a receber
        ["Análise bancária", 3, 0, 1, 4, 400.0],
        ["Crédito aprovado", 5, 0, 0, 5, 0.0],
        ["Contrato assinado", 0, 2, 0, 2, 200.0],
        ["Não mapeada", 4, 0, 0, 4, 400.0],
    ]
    assert list(table.columns) == list(labels)
    shown = ui.table_view(table, labels, money=("valor_a_receber",), integers=("repasses",)).get("data")
    assert shown.column("valor_a_receber").to_pylist()[0] == f"R${NBSP}400,00"


def test_pipeline_chart_stacks_by_age_in_order():
    chart = repasses.pipeline_chart(PIPELINE)
    encoding = chart["encoding"]
    assert encoding["y"]["sort"] == repasses.stage_order(PIPELINE)
    assert encoding["y"]["sort"][-1] == "Não mapeada"
    assert encoding["color"]["scale"]["domain"] == ["0 a 30 dias", "31 a 60 dias", "Mais de 180 dias"]


def test_a_stage_keeps_its_colour_whichever_stages_are_there():
    only_credit = PIPELINE[PIPELINE["etapa"].isin(["Crédito aprovado", "Não mapeada"])]
    assert repasses.stage_colors(only_credit) == [repasses.STAGE_COLORS[1], repasses.UNMAPPED_COLOR]
    assert repasses.stage_colors(PIPELINE)[:3] == [repasses.STAGE_COLORS[i] for i in (0, 1, 2)]


def test_bank_view_writes_days_and_dashes():
    banks = pd.DataFrame({"banco": ["Caixa", "Não informado"], "repasses": [10, 2], "concluidos": [4, 0],
                          "mediana_venda_assinatura": [30.0, None],
                          "mediana_assinatura_recurso": [45.5, None], "mediana_venda_recurso": [75.5, None],
                          "valor_a_receber": [1000.0, 0.0], "total": [2, 2]})
    shown = repasses.bank_view(banks)["data"].to_pandas()
    assert shown["mediana_venda_recurso"].tolist() == ["75,5 dias", "—"]
    assert shown["mediana_venda_assinatura"].tolist() == ["30 dias", "—"]
    assert banks["mediana_venda_recurso"].iloc[0] == 75.5  # the download keeps the numbers


# --------------------------------------------------------------------------- stock
TYPES = pd.DataFrame({  # data.stock_by_type: one row per tipologia and price band
    "tipologia": ["2 dormitórios", "2 dormitórios", "3 dormitórios", "Não informado", "3 dormitórios"],
    "faixa_preco": ["Até R$ 250 mil", "R$ 250 a 500 mil", "R$ 250 a 500 mil", "Sem preço de tabela",
                    "R$ 500 mil a 1 mi"],
    "faixa_ordem": [1, 2, 2, None, 3],
    "unidades_estoque": [4, 6, 3, 2, 5],
    "vgv_estoque": [800_000.0, 2_400_000.0, 1_350_000.0, 0.0, 3_500_000.0],
    "unidades_com_preco": [4, 6, 3, 0, 5],
    "area_com_preco": [200.0, 360.0, 240.0, 0.0, 450.0],
    "unidades_disponiveis": [4, 5, 3, 1, 2],
})


def test_stock_by_type_prices_only_what_has_a_price():
    out = estoque.by_type(TYPES)
    assert out["tipologia"].tolist() == ["2 dormitórios", "3 dormitórios", "Não informado"]
    assert out["unidades_estoque"].tolist() == [10, 8, 2]
    assert out["preco_medio"].iloc[0] == pytest.approx(320_000)
    assert out["preco_m2"].iloc[1] == pytest.approx(4_850_000 / 690)
    assert out["preco_medio"].isna().iloc[2] and out["preco_m2"].isna().iloc[2]  # no price: "—", not R$ 0
    assert ui.table_view(out, estoque.TYPE_COLUMNS, money=("preco_medio",))["data"].column(
        "preco_medio").to_pylist()[2] == "—"


def test_stock_by_band_in_seed_order_unpriced_last():
    out = estoque.by_band(TYPES.sample(frac=1, random_state=1))
    assert out["faixa_preco"].tolist() == ["Até R$ 250 mil", "R$ 250 a 500 mil", "R$ 500 mil a 1 mi",
                                           "Sem preço de tabela"]
    assert out["unidades_estoque"].tolist() == [4, 9, 5, 2]
    assert out["participacao"].tolist() == pytest.approx([0.2, 0.45, 0.25, 0.1])


def test_development_view_formats_pace_and_months():
    rows = pd.DataFrame({"empreendimento": ["A", "B"], "unidades_estoque": [30, 5], "vgv_estoque": [9e6, 1e6],
                         "unidades_disponiveis": [28, 5], "vgv_disponivel": [8e6, 1e6],
                         "vendas_liquidas_3m": [6, 0], "media_vendas_3m": [2.0, 0.0],
                         "meses_estoque": [15.0, None], "total": [2, 2]})
    shown = estoque.development_view(rows)["data"].to_pandas()
    assert shown["meses_estoque"].tolist() == ["15,0", "—"]
    assert "vgv_disponivel" not in shown  # in the downloads only


def test_history_note():
    days = pd.Series([date(2026, 11, 4), date(2026, 11, 18), date(2026, 11, 4)])
    assert ui.history_note(days) == "2 dias com foto (dbt snapshot), de 04/11/2026 a 18/11/2026."
    assert ui.history_note(days.iloc[:1]).startswith("Uma foto até agora, de 04/11/2026")
    assert ui.history_note(pd.Series([], dtype=object)) == ""


def test_history_chart_bars_for_few_days_areas_for_many():
    few = pd.DataFrame({"data": [date(2026, 11, 4), date(2026, 11, 18)], "etapa": ["A", "B"],
                        "repasses": [3, 4]})
    chart = ui.history_chart(few, "repasses", "etapa", ["A", "B"], "Repasses", "Etapa")
    assert chart["mark"]["type"] == "bar"
    many = pd.DataFrame({"data": pd.date_range("2026-01-01", periods=ui.HISTORY_BARS + 1).date, "etapa": "A",
                         "repasses": 1})
    assert ui.history_chart(many, "repasses", "etapa", ["A"], "Repasses", "Etapa")["mark"]["type"] == "area"


# --------------------------------------------------------------------------- targets
TARGETS = {"linhas": 2, "linhas_ano": 22, "meta_unidades": 20, "vendas_liquidas": 8, "meta_vgv": 12_000_000.0,
           "vgv_liquido": 6_900_000.0, "meta_unidades_ano": 220, "vendas_liquidas_ano": 104,
           "meta_vgv_ano": 132_000_000.0, "vgv_liquido_ano": 75_700_000.0}


def test_attainment_cards():
    cards = metas.attainment_cards(TARGETS, date(2026, 11, 1))
    assert [c["label"] for c in cards] == ["Meta do mês · unidades", "Meta do mês · VGV",
                                           "Meta do ano · unidades", "Meta do ano · VGV"]
    assert [c["value"] for c in cards] == ["40,0%", "57,5%", "47,3%", "57,3%"]
    assert cards[0]["delta"] == "8 de 20 unidades"
    assert cards[1]["delta"] == f"R${NBSP}6,9{NBSP}mi de R${NBSP}12{NBSP}mi"
    assert cards[0]["delta_color"] == "off" and cards[0]["delta_arrow"] == "off"
    assert "novembro de 2026" in cards[0]["help"] and "janeiro a novembro de 2026" in cards[2]["help"]


def test_no_target_is_a_dash_never_a_zero():
    cards = metas.attainment_cards(TARGETS | {"meta_vgv": None, "vgv_liquido": None, "meta_unidades": 0},
                                   date(2026, 11, 1))
    assert [c["value"] for c in cards[:2]] == ["—", "—"] and cards[0]["delta"] is None
    assert cards[1]["help"] == "Sem meta de VGV para novembro de 2026 nos empreendimentos escolhidos."
    assert cards[2]["value"] == "47,3%"


@pytest.mark.parametrize("state", [data.EMPTY, data.MISSING])
def test_an_account_without_targets_gets_a_note(monkeypatch: pytest.MonkeyPatch, state: str):
    monkeypatch.setattr(data, "mart_states", lambda: {"metas": state})
    monkeypatch.setattr(data, "target", lambda: ("h", "p", "db", "painel"))
    got = metas.section(Filters(Period(date(2026, 1, 1), date(2026, 11, 18))))
    assert set(got) == {"note"}
    if state == data.EMPTY:
        assert got["note"] == metas.NO_TARGETS and "metas/metas.csv" in got["note"]
        assert got["note"].startswith("Sem metas cadastradas:")
    else:
        assert "`marts.metas` não existe" in got["note"]
