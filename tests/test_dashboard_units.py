"""The dashboard's pure functions: pt-BR formatting, periods, KPI arithmetic, the anomalies summary."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dashboard import formatting as fmt
from dashboard import metrics as m
from dashboard.metrics import Period

NBSP = "\xa0"


def test_money_in_reais():
    assert fmt.brl(Decimal("1234567.89")) == f"R${NBSP}1.234.567,89"
    assert fmt.brl(0) == f"R${NBSP}0,00"
    assert fmt.brl(-12.5) == f"-R${NBSP}12,50"
    assert fmt.brl(None) == "—"
    assert fmt.brl(float("nan")) == "—"


def test_column_formatting_matches_babel_value_by_value():
    values = [0, 0.01, -0.5, 12.3, 999.99, 1000, -1234567.89, 98765432109.1, Decimal("4500.10")]
    assert fmt.brl_many(values) == [fmt.brl(v) for v in values]
    assert fmt.brl_many([None, float("nan")]) == ["—", "—"]
    integers = [0, 7, -1234, 1234567, 3.0]
    assert fmt.integer_many(integers) == [fmt.integer(v) for v in integers]


def test_compact_money_for_cards():
    assert fmt.brl_compact(45_678_901) == f"R${NBSP}45,7{NBSP}mi"
    assert fmt.brl_compact(1_234_567_890) == f"R${NBSP}1,2{NBSP}bi"
    assert fmt.brl_compact(9_999.5) == f"R${NBSP}9.999,50"
    assert fmt.brl_compact(None) == "—"


def test_percent_integer_decimal():
    assert fmt.percent(0.2271) == "22,7%"
    assert fmt.percent(Decimal("0.05")) == "5,0%"
    assert fmt.percent(None) == "—"
    assert fmt.signed_percent(0.123) == "+12,3%"
    assert fmt.signed_percent(-0.04) == "-4,0%"
    assert fmt.signed_percent(None) is None
    assert fmt.integer(1234567) == "1.234.567"
    assert fmt.decimal(3.456) == "3,5"


def test_dates_and_months():
    assert fmt.day(date(2026, 3, 7)) == "07/03/2026"
    assert fmt.day(None) == "—"
    assert fmt.month_short(date(2026, 2, 1)) == "fev/26"
    assert fmt.month_long(date(2026, 3, 1)) == "março de 2026"
    assert fmt.month_names()[0] == "janeiro" and fmt.month_names("abbreviated")[11] == "dez"
    assert fmt.period(date(2026, 1, 1), date(2026, 1, 31)) == "01/01/2026 a 31/01/2026"


@pytest.mark.parametrize("preset, expected", [
    ("Últimos 12 meses", Period(date(2025, 12, 1), date(2026, 11, 29))),
    ("Últimos 3 meses", Period(date(2026, 9, 1), date(2026, 11, 29))),
    ("Este mês", Period(date(2026, 11, 1), date(2026, 11, 29))),
    ("Este ano", Period(date(2026, 1, 1), date(2026, 11, 29))),
    ("Ano passado", Period(date(2025, 1, 1), date(2025, 12, 31))),
])
def test_presets(preset, expected):
    assert m.preset_period(preset, date(2026, 11, 29)) == expected


def test_unknown_preset_is_an_error():
    with pytest.raises(ValueError):
        m.preset_period("Personalizado", date(2026, 1, 1))


def test_previous_equal_period():
    # whole months shift by months, across a year boundary
    assert m.previous_period(Period(date(2026, 2, 1), date(2026, 4, 30))) == Period(
        date(2025, 11, 1), date(2026, 1, 31))
    assert m.previous_period(Period(date(2025, 1, 1), date(2025, 12, 31))) == Period(
        date(2024, 1, 1), date(2024, 12, 31))
    # from the 1st to mid-month: month for month, up to the same day (clamped)
    assert m.previous_period(Period(date(2026, 11, 1), date(2026, 11, 29))) == Period(
        date(2026, 10, 1), date(2026, 10, 29))
    assert m.previous_period(Period(date(2025, 12, 1), date(2026, 11, 29))) == Period(
        date(2024, 12, 1), date(2025, 11, 29))
    assert m.previous_period(Period(date(2026, 3, 1), date(2026, 3, 30))) == Period(
        date(2026, 2, 1), date(2026, 2, 28))
    # any other start: the same number of days just before
    prev = m.previous_period(Period(date(2026, 11, 10), date(2026, 11, 29)))
    assert prev == Period(date(2026, 10, 21), date(2026, 11, 9)) and prev.days == 20


def test_shift_months_keeps_month_ends():
    assert m.shift_months(Period(date(2026, 11, 1), date(2026, 11, 29)), -12) == Period(
        date(2025, 11, 1), date(2025, 11, 29))
    assert m.shift_months(Period(date(2024, 2, 1), date(2024, 2, 29)), -12) == Period(
        date(2023, 2, 1), date(2023, 2, 28))
    assert m.shift_months(Period(date(2026, 2, 1), date(2026, 2, 28)), 1).end == date(2026, 3, 31)
    assert m.months_spanned(Period(date(2025, 12, 1), date(2026, 11, 29))) == 12


def test_month_helpers():
    assert m.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert m.add_months(date(2026, 11, 1), 14) == date(2028, 1, 1)
    assert m.month_end(date(2028, 2, 10)) == date(2028, 2, 29)
    assert m.month_range(date(2025, 11, 1), date(2026, 2, 1)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert m.month_range(date(2026, 3, 1), date(2026, 2, 1)) == []


def test_kpi_arithmetic():
    assert m.change(120, 100) == pytest.approx(0.2)
    assert m.change(80, -100) == pytest.approx(1.8)
    assert m.change(5, 0) is None and m.change(None, 3) is None
    assert m.taxa_distrato(3, 40) == pytest.approx(0.075)
    assert m.taxa_distrato(0, 0) is None
    assert m.ticket_medio(Decimal("1000000.00"), 4) == 250_000
    assert m.vso(10, 90, 10) == pytest.approx(0.1)
    assert m.vso(1, 0, 0) is None and m.vso(1, -3, 2) is None


def test_months_of_stock_uses_the_last_three_months():
    assert m.months_of_stock(60, [100, 10, 20, 30]) == pytest.approx(3.0)
    assert m.months_of_stock(60, [5]) == pytest.approx(12.0)
    assert m.months_of_stock(60, [0, 0, 0]) is None
    assert m.months_of_stock(60, [2, -5, 0]) is None
    assert m.months_of_stock(60, []) is None


def test_csv_is_what_excel_in_brazil_opens():
    import pandas as pd

    from dashboard.ui import to_csv

    df = pd.DataFrame({"data_venda": [date(2026, 3, 7)], "valor_contrato": [1234567.89],
                       "is_distrato": [True], "fora": ["not exported"]})
    csv = to_csv(df, {"data_venda": "Data da venda", "valor_contrato": "Valor do contrato",
                      "is_distrato": "Distratada"}, flags=("is_distrato",))
    assert csv.startswith("\ufeff".encode())
    assert csv.decode("utf-8-sig").splitlines() == ["Data da venda;Valor do contrato;Distratada",
                                                     "07/03/2026;1234567,89;Sim"]


def test_anomalies_by_kind_most_frequent_first():
    import pandas as pd

    from dashboard.views.dados import ANOMALY_COLUMNS, anomaly_summary

    kinds = pd.DataFrame({  # data.anomalies(): one row per kind, the example ids already in order
        "anomalia": ["venda_ausente_em_reservas", "comissao_valor_negativo", "comissao_sem_reserva",
                     "comissao_percentual_fora_da_faixa"],
        "descricao": ["Venda listada em /vendas cuja reserva não está em /reservas",
                      "Comissão com valor negativo", None, "Comissão com percentual fora de 0% a 100%"],
        "caminho": ["reservas", "comissoes", "comissoes", "comissoes"],
        "quantidade": [2, 7, 1, 2],
        "exemplos": [["9", "20"], ["3", "5", "7", "8", "12"], None, ["A-1"]],
    })
    summary = anomaly_summary(kinds)
    assert list(summary.columns) == list(ANOMALY_COLUMNS)
    assert list(ANOMALY_COLUMNS.values()) == ["Descrição", "Caminho no CVDW", "Quantidade", "Exemplos"]
    assert summary.to_dict("records") == [
        {"descricao": "Comissão com valor negativo", "caminho": "comissoes", "quantidade": 7,
         "exemplos": "3, 5, 7, 8, 12"},
        # equal counts: by description
        {"descricao": "Comissão com percentual fora de 0% a 100%", "caminho": "comissoes", "quantidade": 2,
         "exemplos": "A-1"},
        {"descricao": "Venda listada em /vendas cuja reserva não está em /reservas", "caminho": "reservas",
         "quantidade": 2, "exemplos": "9, 20"},
        # no description: the kind's code; no ids: no examples
        {"descricao": "comissao_sem_reserva", "caminho": "comissoes", "quantidade": 1, "exemplos": ""},
    ]
    assert kinds["exemplos"].iloc[0] == ["9", "20"]  # the input is left as it was
    empty = anomaly_summary(kinds.iloc[:0])
    assert empty.empty and list(empty.columns) == list(ANOMALY_COLUMNS)


def test_excel_download_has_typed_formatted_cells():
    import io
    from decimal import Decimal

    import openpyxl
    import pandas as pd

    from dashboard.ui import EXCEL_FORMATS, to_xlsx

    df = pd.DataFrame({"data_venda": [date(2026, 3, 7), date(2026, 3, 9)],
                       "valor_contrato": [Decimal("1234567.89"), Decimal("-12222.22")],
                       "pct": [Decimal("0.045"), None], "is_distrato": [True, False],
                       "idreserva": [1001, 1002], "fora": ["not exported", "x"]})
    labels = {"data_venda": "Data da venda", "valor_contrato": "Valor do contrato", "pct": "% de comissão",
              "is_distrato": "Distratada", "idreserva": "Reserva"}
    kinds = {"data_venda": "date", "valor_contrato": "money", "pct": "percent", "idreserva": "id"}
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(df, labels, ("is_distrato",), kinds))).active
    assert [c.value for c in sheet[1]] == list(labels.values())
    date_cell, money, pct, flag, reserva = sheet[3]
    assert date_cell.value.date() == date(2026, 3, 9) and date_cell.number_format == EXCEL_FORMATS["date"]
    assert money.value == -12222.22 and money.number_format == EXCEL_FORMATS["money"]
    assert pct.value is None and sheet["C2"].value == 0.045 and sheet["C2"].number_format == "0.0%"
    assert (flag.value, sheet["D2"].value) == ("Não", "Sim")
    assert reserva.value == 1002 and reserva.data_type == "n"
    assert sheet.freeze_panes == "A2" and sheet.max_row == 3
