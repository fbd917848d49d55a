"""Dados: whether the numbers are current and trustworthy — the last loads from CVDW, rows per
raw table, source freshness, the last ``dbt build``, the CRM's anomalies the marts keep and the
last scheduled runs."""

import streamlit as st

from dashboard import data, ui
from dashboard import formatting as fmt
from dashboard.views import dados as view

f = ui.current_filters()
chosen = f" · conta{'s' if len(f.contas) > 1 else ''} {', '.join(f.contas)}" if f.contas else ""
ui.page_header("Dados", note=f"de onde vêm os números e quando foram atualizados{chosen}")
# Reads no mart but marts.anomalias, whose section says when it is missing: the page works without marts.
now = data.now()
with ui.guarded():
    contas, many, runs_of = view.accounts(f)
page = ui.page_model(view.dados_page, view.artifacts(), contas, many, runs_of)
last_load, build = page["last_load"], page["build"]

c = st.columns(3)
c[0].metric("Última carga do CVDW", fmt.moment(last_load), border=True,
            help=f"Horário de Brasília; {fmt.age(last_load, now)}." if last_load is not None else
            None if page["loads_readable"] else view.LOADS_DENIED)
c[1].metric("Linhas nas tabelas brutas", page["raw_rows"], border=True,
            help="Estimativa das estatísticas do PostgreSQL.")
if build is None:
    c[2].metric("Último dbt build", fmt.MISSING, border=True, help="Nenhum resultado do dbt encontrado.")
else:
    failed = sum(build.counts.get(s, 0) for s in ("error", "fail"))
    verdict = "Com falhas" if failed else "Com alertas" if build.counts.get("warn") else "Aprovado"
    c[2].metric("Último dbt build", verdict, border=True,
                help=f"Em {fmt.moment(build.finished_at)} ({fmt.age(build.finished_at, now)}).")

st.subheader("Tabelas brutas")
if not page["raw_tables"]:
    ui.empty("Nenhuma tabela carregada ainda: rode a carga (python pipelines/cvdw.py ou make demo).")
else:
    ui.show_table(page["tables"])
    if page["freshness_checked"] is None:
        st.caption("Atualização das fontes ainda não verificada: rode `dbt source freshness`.")
    else:
        st.caption("Atualização verificada por `dbt source freshness` em "
                   f"{fmt.moment(page['freshness_checked'])}.")

st.subheader("Último dbt build")
if build is None:
    ui.empty(f"Nenhum resultado do dbt em {data.dbt_target_dir()}: rode `dbt build`.")
else:
    if build.command and build.command != "build":
        st.caption(f"Os resultados mais recentes são de `dbt {build.command}`.")
    for column, (status, label) in zip(st.columns(5), view.BUILD.items(), strict=True):
        column.metric(label, fmt.integer(build.counts.get(status, 0)), border=True)
    if build.problems:
        with st.expander(f"Alertas e falhas ({len(build.problems)})"):
            for status, node, message in build.problems:
                st.markdown(f"**{view.BUILD.get(status, status)}** · `{node}`: {message}")

st.subheader("Anomalias nos dados do CVCRM")
st.caption(view.ANOMALIES_ABOUT)
if page["anomalies"] is None:
    ui.empty(page["anomalies_note"])
elif not page["anomalies"]:
    st.success(view.NO_ANOMALIES, icon=":material/check_circle:")
else:
    ui.show_table(page["anomaly_table"])

st.subheader("Últimas execuções agendadas")
if page["history"] is None:
    ui.empty("Histórico de execuções indisponível.")
elif not page["history"]:
    ui.empty("Nenhuma execução registrada ainda.")
else:
    ui.show_table(page["runs"])
