"""The CVDW sales dashboard: ``streamlit run streamlit_app.py``.

The router: page config, the optional password gate, the shared filters in the sidebar (they
live here so that every page sees the same choices), and ``st.navigation`` over ``app_pages/``.
The warehouse is the one the ``PG*`` variables name, else the embedded PostgreSQL.
"""

from __future__ import annotations

import streamlit as st

from dashboard import auth, ui

st.set_page_config(page_title="Painel comercial · CVDW", page_icon=":material/apartment:", layout="wide")

PAGES = [
    st.Page("app_pages/visao_geral.py", title="Visão geral", icon=":material/dashboard:", default=True),
    st.Page("app_pages/vendas.py", title="Vendas", icon=":material/sell:"),
    st.Page("app_pages/funil.py", title="Funil", icon=":material/filter_alt:"),
    st.Page("app_pages/vso.py", title="VSO", icon=":material/speed:"),
    st.Page("app_pages/estoque.py", title="Estoque", icon=":material/inventory_2:"),
    st.Page("app_pages/repasses.py", title="Repasses", icon=":material/currency_exchange:"),
    st.Page("app_pages/comissoes.py", title="Comissões", icon=":material/payments:"),
    st.Page("app_pages/prosoluto.py", title="Pró-soluto", icon=":material/account_balance:"),
    st.Page("app_pages/dados.py", title="Dados", icon=":material/database:"),
]


def configured_password_hash() -> str | None:
    try:
        return st.secrets.get("auth", {}).get("password_hash") or None
    except (FileNotFoundError, KeyError, AttributeError):  # no secrets file: no gate
        return None


def login() -> None:
    st.title("Painel comercial")
    with st.form("entrar"):
        password = st.text_input("Senha", type="password")
        if st.form_submit_button("Entrar", type="primary"):
            if auth.verify_password(password, configured_password_hash() or ""):
                st.session_state["autenticado"] = True
                st.rerun()
            st.error("Senha incorreta. Tente de novo.")


password_hash = configured_password_hash()
if password_hash and not st.session_state.get("autenticado"):
    st.navigation([st.Page(login, title="Entrar", icon=":material/lock:")]).run()
    st.stop()

page = st.navigation(PAGES)
ui.sidebar_filters()
if not password_hash:
    st.sidebar.caption(":material/lock_open: Acesso aberto: nenhuma senha configurada.")
page.run()
