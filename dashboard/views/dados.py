"""What the Dados page (``app_pages/dados.py``) shows, computed once per warehouse and dbt run."""

import pandas as pd

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.data import DataUnavailable, Filters

FRESHNESS = {"pass": "Em dia", "warn": "Atenção", "error": "Atrasada", "runtime error": "Erro na verificação",
             "empty": "Sem linhas ainda"}
BUILD = {"success": "Modelos construídos", "pass": "Testes aprovados", "warn": "Com alerta",
         "error": "Com erro", "fail": "Reprovados"}
RUN_STATUS = {"success": "Sucesso", "failed": "Falhou", "running": "Em andamento"}
RUN_COLUMNS = {
    "run_id": "Execução", "started_at": "Início", "finished_at": "Fim", "status": "Situação",
    "failed_stage": "Etapa com falha", "rows_loaded": "Linhas carregadas", "requests": "Requisições",
    "tests_passed": "Testes aprovados", "tests_warned": "Com alerta", "tests_failed": "Reprovados",
    "error": "Erro",
}
ANOMALY_COLUMNS = {"descricao": "Descrição", "caminho": "Caminho no CVDW", "quantidade": "Quantidade",
                   "exemplos": "Exemplos"}
ANOMALIES_ABOUT = ("Estes registros vêm assim do CVCRM e ficam nos marts como estão: corrija-os no CVCRM, "
                   "no caminho do CVDW indicado.")
ANOMALIES_LATER = "A lista de anomalias aparece depois de `cvdw-ops run --stages build`."
NO_ANOMALIES = "Nenhuma anomalia encontrada nos dados carregados."
TABLE_COLUMNS = {"tabela": "Tabela", "linhas": "Linhas (estimativa)", "ultima_carga": "Carga mais recente",
                 "status": "Atualização"}
ACCOUNT_COLUMN = {"conta": "Conta"}  # first, in the tables of several accounts
LOADS_DENIED = ("Este usuário não pode ler o registro de cargas do dlt (_dlt_loads no schema raw da conta): "
                "veja no README as permissões do papel de leitura.")


def moment_or_dash(value) -> str:
    return fmt.moment(value) if value is not None and value == value else fmt.MISSING


def anomaly_summary(kinds: pd.DataFrame, many: bool = False) -> pd.DataFrame:
    """``data.anomalies()`` (one row per kind, and account when ``many``) as the page's table: the
    most frequent kind first, its example ids joined by commas, its code where it has no
    description."""
    out = kinds.copy()
    out["descricao"] = [d if isinstance(d, str) and d.strip() else code
                        for d, code in zip(out["descricao"], out["anomalia"], strict=True)]
    out["exemplos"] = [", ".join(str(i) for i in ids) if isinstance(ids, list | tuple) else ""
                       for ids in out["exemplos"]]
    columns = anomaly_columns(many)
    keys = [c for c in ("conta", "quantidade", "descricao") if c in columns]
    out = out.sort_values(keys, ascending=[k != "quantidade" for k in keys], ignore_index=True)
    return out[list(columns)]


def anomaly_columns(many: bool) -> dict[str, str]:
    return (ACCOUNT_COLUMN | ANOMALY_COLUMNS) if many else ANOMALY_COLUMNS


def artifacts() -> tuple:
    """The warehouse, dbt's folder and when its result files last changed: the key of the page's
    cache, so that the results of a new dbt run show at once."""
    folder = data.dbt_target_dir()
    names = ("run_results.json", "sources.json", data.FRESHNESS_BY_CONTA)
    return data.target(), str(folder), *(data.modified(folder / name) for name in names)


def accounts(f: Filters) -> tuple[tuple[str, ...], bool, tuple[str, ...] | None]:
    """The accounts the page is about (those chosen, else every one this user's role may read),
    whether they are several, and the accounts whose part of each run it shows (those chosen, else
    those row-level security restricts the user to; None: whole runs): with ``artifacts()``, the
    key of the page's cache."""
    runs_of = f.contas or data.readable_contas()
    return f.contas or tuple(data.conta_options()), f.many_contas, runs_of


def with_freshness(tables: pd.DataFrame, freshness: pd.DataFrame) -> pd.DataFrame:
    """Each raw table with its own account's freshness check; one account's checks (a single
    account, or ``dbt source freshness`` run by hand) go with the tables of any name."""
    if freshness["conta"].nunique(dropna=False) > 1:
        return tables.merge(freshness, on=["conta", "tabela"], how="left")
    return tables.merge(freshness.drop(columns="conta"), on="tabela", how="left")


def as_seen_by(history: pd.DataFrame, contas: tuple[str, ...]) -> pd.DataFrame:
    """The runs as seen for these accounts: a run of many accounts (``accounts``, each one's load
    error or None) shows only their rows loaded and load errors, and no requests count (it is of
    all its accounts together); a load that failed only for other accounts is a success here."""
    history = history.copy()
    for i, run in history.iterrows():
        if not isinstance(run["accounts"], dict):
            continue
        history.at[i, "rows_loaded"] = {k: n for k, n in (run["rows_loaded"] or {}).items()
                                        if k.split(".", 1)[0] in contas}
        if set(run["accounts"]) - set(contas):  # the requests are of every account together
            history.at[i, "requests"] = None
        if run["failed_stage"] in ("config", "load"):
            errors = [f"{c}: {e}" for c, e in run["accounts"].items() if c in contas and e]
            history.at[i, "error"] = "; ".join(errors) or None
            if not errors:
                history.at[i, "status"], history.at[i, "failed_stage"] = "success", None
    return history


@ui.page_cache
def dados_page(key: tuple, contas: tuple[str, ...] = (), many: bool = False,
               runs_of: tuple[str, ...] | None = None) -> dict:
    """The page's figures and tables (``key`` is ``artifacts()``) for these accounts (``accounts()``):
    their raw schemas, loads and anomalies only, and each run's part of ``runs_of``."""
    schemas = data.raw_schemas(contas)
    loads, tables = data.last_loads(schemas), data.raw_tables(schemas)
    completed = loads[loads["status"] == 0] if loads is not None else loads
    freshness, build, history = data.source_freshness(), data.last_dbt_result(), data.run_history()
    page = {"last_load": completed["inserted_at"].iloc[0] if completed is not None and not completed.empty
            else None, "loads_readable": loads is not None,
            "raw_rows": fmt.integer(tables["linhas"].sum()), "raw_tables": len(tables), "build": build,
            "freshness_checked": None if freshness is None else freshness.attrs.get("checked_at"),
            "history": None if history is None else len(history)}
    if freshness is not None and not freshness.empty:
        tables = with_freshness(tables, freshness)
        tables["ultima_carga"] = tables["ultima_carga"].map(moment_or_dash)
        tables["status"] = tables["status"].map(lambda s: FRESHNESS.get(s, "Não monitorada"))
    columns = (ACCOUNT_COLUMN if many else {}) | TABLE_COLUMNS
    page["tables"] = ui.table_view(tables, {k: v for k, v in columns.items() if k in tables},
                                   integers=("linhas",))
    if history is not None and not history.empty:
        history = history if runs_of is None else as_seen_by(history, runs_of)
        history["status"] = history["status"].map(lambda s: RUN_STATUS.get(s, s))
        for column in ("started_at", "finished_at"):
            history[column] = history[column].map(moment_or_dash)
        history["rows_loaded"] = history["rows_loaded"].map(
            lambda v: sum(v.values()) if isinstance(v, dict) else None)
        page["runs"] = ui.table_view(history, RUN_COLUMNS, integers=("rows_loaded",))
    try:
        kinds, page["anomalies_note"] = data.anomalies(contas, many), ANOMALIES_LATER
    except DataUnavailable as exc:  # not readable, or not the contract's shape: said in the section only
        kinds, page["anomalies_note"] = None, str(exc)
    page["anomalies"] = None if kinds is None else len(kinds)
    if page["anomalies"]:
        page["anomaly_table"] = ui.table_view(anomaly_summary(kinds, many), anomaly_columns(many),
                                              integers=("quantidade",))
    return page
