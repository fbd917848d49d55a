"""Dados: whether the numbers are current and trustworthy — the last loads from CVDW, rows per
raw table, source freshness, the last ``dbt build`` and the last scheduled runs."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt

ui.page_header("Dados", note="de onde vêm os números e quando foram atualizados")
now = data.now()

with ui.guarded():
    loads = data.last_loads()
    tables = data.raw_tables()
history = data.run_history()
freshness = data.source_freshness()
build = data.last_dbt_result()

FRESHNESS_LABELS = {"pass": "Em dia", "warn": "Atenção", "error": "Atrasada", "runtime error": "Erro"}
BUILD_LABELS = {
    "success": "Aprovados",
    "pass": "Aprovados",
    "warn": "Com alerta",
    "error": "Com erro",
    "fail": "Reprovados",
    "skipped": "Pulados",
}

c = st.columns(3)
completed = loads[loads["status"] == 0] if not loads.empty else loads
last_load = completed["inserted_at"].iloc[0] if not completed.empty else None
c[0].metric(
    "Última carga do CVDW",
    fmt.moment(last_load),
    border=True,
    help=f"Horário de Brasília; {fmt.age(last_load, now)}." if last_load is not None else None,
)
c[1].metric(
    "Linhas nas tabelas brutas",
    fmt.integer(tables["linhas"].sum() if not tables.empty else 0),
    border=True,
    help="Estimativa das estatísticas do PostgreSQL.",
)
if build is None:
    c[2].metric("Último dbt build", "—", border=True, help="Nenhum resultado do dbt encontrado.")
else:
    failed = sum(build.counts.get(s, 0) for s in ("error", "fail"))
    warned = build.counts.get("warn", 0)
    verdict = "Com falhas" if failed else "Com alertas" if warned else "Aprovado"
    c[2].metric(
        "Último dbt build",
        verdict,
        border=True,
        help=f"Em {fmt.moment(build.finished_at)} ({fmt.age(build.finished_at, now)}).",
    )

st.subheader("Tabelas brutas")
if tables.empty:
    ui.empty("Nenhuma tabela carregada ainda: rode a carga (python pipelines/cvdw.py ou make demo).")
else:
    shown = tables.copy()
    if freshness is not None and not freshness.empty:
        shown = shown.merge(freshness, on="tabela", how="left")
        shown["ultima_carga"] = shown["ultima_carga"].map(lambda v: fmt.moment(v) if v == v and v else "—")
        shown["status"] = shown["status"].map(lambda s: FRESHNESS_LABELS.get(s, "—"))
        shown = shown.drop(columns=["idade_horas"])
    shown["linhas"] = shown["linhas"].map(fmt.integer)
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "tabela": "Tabela",
            "linhas": "Linhas (estimativa)",
            "ultima_carga": "Carga mais recente",
            "status": "Atualização",
        },
    )
    if freshness is None:
        st.caption("Atualização das fontes ainda não verificada: rode `dbt source freshness`.")
    else:
        checked = freshness.attrs.get("checked_at")
        st.caption(f"Atualização verificada por `dbt source freshness` em {fmt.moment(checked)}.")

st.subheader("Último dbt build")
if build is None:
    st.info(f"Nenhum resultado do dbt em {data.dbt_target_dir()}: rode `dbt build`.", icon=":material/info:")
else:
    if build.command and build.command != "build":
        st.caption(f"Os resultados mais recentes são de `dbt {build.command}`.")
    counts = st.columns(5)
    for column, status in zip(counts, ["success", "pass", "warn", "error", "fail"], strict=True):
        label = {"success": "Modelos construídos", "pass": "Testes aprovados"}.get(
            status, BUILD_LABELS[status]
        )
        column.metric(label, fmt.integer(build.counts.get(status, 0)), border=True)
    if build.problems:
        with st.expander(f"Alertas e falhas ({len(build.problems)})"):
            for status, node, message in build.problems:
                st.markdown(f"**{BUILD_LABELS.get(status, status)}** · `{node}`: {message}")

st.subheader("Últimas execuções agendadas")
if history is None:
    st.info("Histórico de execuções indisponível.", icon=":material/info:")
elif history.empty:
    st.info("Nenhuma execução registrada ainda.", icon=":material/info:")
else:
    runs = history.copy()
    runs["status"] = runs["status"].map({"success": "Sucesso", "failed": "Falhou", "running": "Em andamento"})
    for column in ("started_at", "finished_at"):
        runs[column] = runs[column].map(lambda v: fmt.moment(v) if v == v and v is not None else "—")
    runs["rows_loaded"] = runs["rows_loaded"].map(
        lambda v: fmt.integer(sum(v.values())) if isinstance(v, dict) else "—"
    )
    st.dataframe(
        runs,
        hide_index=True,
        column_config={
            "run_id": "Execução",
            "started_at": "Início",
            "finished_at": "Fim",
            "status": "Situação",
            "exit_code": "Código de saída",
            "failed_stage": "Etapa com falha",
            "rows_loaded": "Linhas carregadas",
            "requests": "Requisições",
            "tests_passed": "Testes aprovados",
            "tests_warned": "Testes com alerta",
            "tests_failed": "Testes reprovados",
            "error": "Erro",
        },
    )
