"""Dados: whether the numbers are current and trustworthy — the last loads from CVDW, rows per
raw table, source freshness, the last ``dbt build`` and the last scheduled runs."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt

FRESHNESS = {"pass": "Em dia", "warn": "Atenção", "error": "Atrasada", "runtime error": "Erro na verificação"}
BUILD = {"success": "Modelos construídos", "pass": "Testes aprovados", "warn": "Com alerta",
         "error": "Com erro", "fail": "Reprovados"}
RUN_STATUS = {"success": "Sucesso", "failed": "Falhou", "running": "Em andamento"}
RUN_COLUMNS = {
    "run_id": "Execução", "started_at": "Início", "finished_at": "Fim", "status": "Situação",
    "failed_stage": "Etapa com falha", "rows_loaded": "Linhas carregadas", "requests": "Requisições",
    "tests_passed": "Testes aprovados", "tests_warned": "Com alerta", "tests_failed": "Reprovados",
    "error": "Erro",
}


def moment_or_dash(value) -> str:
    return fmt.moment(value) if value is not None and value == value else fmt.MISSING


ui.page_header("Dados", note="de onde vêm os números e quando foram atualizados")
now = data.now()
with ui.guarded():
    loads = data.last_loads()
    tables = data.raw_tables()
history = data.run_history()
freshness = data.source_freshness()
build = data.last_dbt_result()

completed = loads[loads["status"] == 0]
last_load = completed["inserted_at"].iloc[0] if not completed.empty else None
c = st.columns(3)
c[0].metric("Última carga do CVDW", fmt.moment(last_load), border=True,
            help=f"Horário de Brasília; {fmt.age(last_load, now)}." if last_load is not None else None)
c[1].metric("Linhas nas tabelas brutas", fmt.integer(tables["linhas"].sum()), border=True,
            help="Estimativa das estatísticas do PostgreSQL.")
if build is None:
    c[2].metric("Último dbt build", fmt.MISSING, border=True, help="Nenhum resultado do dbt encontrado.")
else:
    failed = sum(build.counts.get(s, 0) for s in ("error", "fail"))
    verdict = "Com falhas" if failed else "Com alertas" if build.counts.get("warn") else "Aprovado"
    c[2].metric("Último dbt build", verdict, border=True,
                help=f"Em {fmt.moment(build.finished_at)} ({fmt.age(build.finished_at, now)}).")

st.subheader("Tabelas brutas")
if tables.empty:
    ui.empty("Nenhuma tabela carregada ainda: rode a carga (python pipelines/cvdw.py ou make demo).")
else:
    if freshness is not None and not freshness.empty:
        tables = tables.merge(freshness, on="tabela", how="left")
        tables["ultima_carga"] = tables["ultima_carga"].map(moment_or_dash)
        tables["status"] = tables["status"].map(lambda s: FRESHNESS.get(s, "Não monitorada"))
    labels = {"tabela": "Tabela", "linhas": "Linhas (estimativa)", "ultima_carga": "Carga mais recente",
              "status": "Atualização"}
    ui.table(tables, {k: v for k, v in labels.items() if k in tables}, integers=("linhas",))
    if freshness is None:
        st.caption("Atualização das fontes ainda não verificada: rode `dbt source freshness`.")
    else:
        st.caption(f"Atualização verificada por `dbt source freshness` em "
                   f"{fmt.moment(freshness.attrs.get('checked_at'))}.")

st.subheader("Último dbt build")
if build is None:
    ui.empty(f"Nenhum resultado do dbt em {data.dbt_target_dir()}: rode `dbt build`.")
else:
    if build.command and build.command != "build":
        st.caption(f"Os resultados mais recentes são de `dbt {build.command}`.")
    for column, (status, label) in zip(st.columns(5), BUILD.items(), strict=True):
        column.metric(label, fmt.integer(build.counts.get(status, 0)), border=True)
    if build.problems:
        with st.expander(f"Alertas e falhas ({len(build.problems)})"):
            for status, node, message in build.problems:
                st.markdown(f"**{BUILD.get(status, status)}** · `{node}`: {message}")

st.subheader("Últimas execuções agendadas")
if history is None:
    ui.empty("Histórico de execuções indisponível.")
elif history.empty:
    ui.empty("Nenhuma execução registrada ainda.")
else:
    history["status"] = history["status"].map(lambda s: RUN_STATUS.get(s, s))
    for column in ("started_at", "finished_at"):
        history[column] = history[column].map(moment_or_dash)
    history["rows_loaded"] = history["rows_loaded"].map(
        lambda v: sum(v.values()) if isinstance(v, dict) else None)
    ui.table(history, RUN_COLUMNS, integers=("rows_loaded",))
