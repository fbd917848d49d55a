"""The whole chain on accounts the project did not shape: each simulator profile leaves fields
out or null, sends undocumented ones, names its situations and series its own way, leaves paths
empty and carries the CRM's anomalies. The profiles are the accounts of one warehouse, loaded in
parallel and built by one `dbt build`, as a consultancy's accounts differ from one another: the
load and the build pass, each account's marts (anomaly list included) equal the figures computed
in Python from its own world's rows, and every dashboard page, the Conta filter on that account,
renders them, its sales cards and the Dados page's anomaly list equal to them too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from dashboard import formatting as fmt
from dashboard.metrics import Period
from dashboard.views.comissoes import anomalies_note
from simulator.accounts import SimulatedAccount
from simulator.profiles import PROFILES
from simulator.world import from_ts

from .builder import AccountView, built_accounts
from .expected_funnel import check_funnel_marts
from .test_app import PAGES, app, cards
from .test_dbt import check_marts, expected_from

SIZE = 250


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, AccountView]]:
    """Every profile an account (named after it) of one warehouse, built once for the module."""
    specs = [SimulatedAccount(name, 31, SIZE, name, requests_per_window=10_000, window_seconds=1.0)
             for name in sorted(PROFILES)]
    with built_accounts(specs, tmp_path_factory.mktemp("profiles"), "test_profiles") as views:
        yield views


@pytest.fixture(params=sorted(PROFILES))
def account(request: pytest.FixtureRequest, profiles: dict[str, AccountView]) -> AccountView:
    return profiles[request.param]


def test_marts_equal_the_world_on_every_profile(account: AccountView):
    check_marts(account)


def test_funnel_repasse_and_stock_marts_equal_the_world_on_every_profile(account: AccountView):
    """The account's own situation names reach the stages through the seeds; empty paths give
    empty marts, not errors; fields left out give nulls, not wrong figures."""
    check_funnel_marts(account)


def test_each_profile_really_differs_from_the_kind_default(account: AccountView):
    """The profile's quirks reached the warehouse: otherwise the test above proves little."""
    fields = account.world.profile_fields
    omitted = {(path, name) for path, f in fields.items() for name in f["omitted"]}
    assert omitted, "no field left out"
    stored = set(account.query("select table_name, column_name from information_schema.columns"
                               " where table_schema = 'raw'"))
    # Declared columns exist though the account never sends them (personal ones aside: hashed
    # or dropped), and stay empty.
    kept = [(p.replace("/", "_"), n) for p, n in sorted(omitted) if (p.replace("/", "_"), n) in stored]
    assert len(kept) > len(omitted) / 2
    for table, name in kept[:30]:
        assert account.query(f"select count(*) from raw.{table} where {name} is not null")[0][0] == 0
    undocumented = {(p, n) for p, f in fields.items() for n in f["undocumented"]
                    if any(r.get(n) is not None for r in account.world.rows(p))}  # dlt skips all-null
    for path, name in undocumented:
        assert account.query("select count(*) from information_schema.columns where"
                             " table_schema = 'raw' and table_name = %s and column_name = %s",
                             (path.replace("/", "_"), name))[0][0] == 1, (path, name)
    injected = {kind: {str(i) for i in ids} for kind, ids in account.world.profile_anomalies.items()}
    found = expected_from(account.world, account.as_of).anomalies
    for kind, ids in injected.items():
        assert ids <= found.get(kind, set()), kind


def whole_history(b: AccountView) -> Period:
    return Period(from_ts(b.world.start).date(), b.as_of)


def test_every_page_renders_with_the_worlds_figures(account: AccountView):
    period = whole_history(account)
    exp = expected_from(account.world, account.as_of)
    in_period = [s for s in exp.sales.values() if period.start <= s["data_venda"] <= period.end]
    for page in PAGES:
        at = app(page, period=period, contas=(account.conta,))
        assert at.title and not at.error, (page, [e.value for e in at.error])
    got = cards(app("visao_geral", period=period, contas=(account.conta,)))
    assert got["Vendas brutas"] == fmt.integer(len(in_period))
    assert got["VGV bruto"] == fmt.brl_compact(sum(s["valor_contrato"] for s in in_period) / 100)
    vendas = app("vendas", period=period, contas=(account.conta,))
    assert f"Vendas do período ({fmt.integer(len(in_period))})" in [h.value for h in vendas.subheader]
    # Anomalous commissions count in the totals as CVCRM has them, and the page says how many.
    sold = {i for i, s in exp.sales.items() if period.start <= s["data_venda"] <= period.end}
    flagged = sum(c["is_anomala"] and c["idreserva"] in sold for c in exp.commissions.values())
    captions = " ".join(c.value for c in app("comissoes", period=period, contas=(account.conta,)).caption)
    assert (anomalies_note(flagged) in captions) if flagged else "anômalos" not in captions


def test_dados_page_lists_each_anomaly_kind_with_its_count_and_ids(account: AccountView):
    expected = expected_from(account.world, account.as_of).anomalies
    at = app("dados", period=whole_history(account), contas=(account.conta,))
    if not expected:
        assert "Nenhuma anomalia encontrada nos dados carregados." in [x.value for x in at.success]
        return
    table = next(d for d in at.dataframe if "exemplos" in d.value.columns).value
    got = Counter({row["descricao"]: int(row["quantidade"]) for row in table.to_dict("records")})
    assert sorted(got.values(), reverse=True) == sorted((len(ids) for ids in expected.values()),
                                                        reverse=True)
    examples = {tuple(row["exemplos"].split(", ")) for row in table.to_dict("records")}
    assert examples == {tuple(sorted(ids, key=int)[:5]) for ids in expected.values()}
