"""Dashboard benchmark: prints figures, asserts nothing.

Render time of every page with Streamlit's AppTest (the real script run: queries, pandas, charts
and tables serialised), cold (cache cleared) and warm (cached reads), beside two baselines: an
empty page inside the app's shell (router, sidebar filters and their cached option lists), which
is what the ratio is taken against, and a bare one-line script for scale. Target: every page warm
within 2× the empty page. The ratio is the median, over the runs, of a page's warm run ÷ a run of
the empty page timed just before it, so that a machine busy with something else slows both alike.

A warm run is split into what it spends on: compiling the router and the page (AppTest makes a new
script cache for every run; ``streamlit run`` compiles a script once per process), looking up the
page's cached model, and drawing its elements from that model (the page script's own time, less
its compile and the lookup: the same elements drawn from data already in memory).

    python bench/bench_app.py --database bench_world_200000   # an already loaded and built database
    python bench/bench_app.py --size 2000                      # build one from a simulator world

The period is the app's default, "Últimos 12 meses" up to today.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

import psycopg2  # noqa: E402
from streamlit.navigation.page import StreamlitPage  # noqa: E402
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard import data, ui  # noqa: E402
from pipelines import clock, warehouse  # noqa: E402

PAGES = ["visao_geral", "vendas", "funil", "vso", "estoque", "repasses", "comissoes", "prosoluto", "dados"]
APP = str(PROJECT_DIR / "streamlit_app.py")


BARE_PAGE = """
import streamlit as st
st.title("Página vazia")
"""
# The router's work (page config, navigation, sidebar filters) around a page that draws nothing.
EMPTY_PAGE_IN_THE_SHELL = """
import streamlit as st
from dashboard import ui
st.set_page_config(page_title="Painel comercial · CVDW", layout="wide")
page = st.navigation([st.Page(lambda: st.title("Página vazia"), title="Vazia", url_path="vazia")])
ui.sidebar_filters()
page.run()
"""


SPENT: Counter = Counter()  # seconds inside the clocked functions since the last clear


def clocked(owner, name: str) -> None:
    """Count the time spent in ``owner.name`` (on the script thread) into ``SPENT[name]``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[name] += time.perf_counter() - started

    setattr(owner, name, wrapper)


clocked(ScriptCache, "get_bytecode")  # router and page compiles
clocked(PagesManager, "get_page_script_byte_code")  # the page's compile, within its run
clocked(StreamlitPage, "run")  # the page script
clocked(ui, "page_model")  # the page's cached model (pages call it as ui.page_model)


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def render(page: str, cold: bool) -> tuple[float, float, float, float]:
    """Seconds for one run of ``page`` (after the router's first run), cache cleared or not, and
    of them: compiling, the model lookup and drawing the page's elements."""
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    if cold:
        data.refresh()
    else:
        at.run()
    SPENT.clear()
    seconds = timed(at.run)
    if at.exception:
        raise SystemExit(f"page {page} raised: {at.exception[0].message}")
    elements = SPENT["run"] - SPENT["get_page_script_byte_code"] - SPENT["page_model"]
    return seconds, SPENT["get_bytecode"], SPENT["page_model"], elements


def baseline(script: str, repeats: int) -> float:
    """Warm seconds of a script run (the first run fills the cache)."""
    at = AppTest.from_string(script, default_timeout=60)
    at.run()
    seconds = statistics.median(timed(at.run) for _ in range(repeats))
    if at.exception:
        raise SystemExit(f"the baseline page raised: {at.exception[0].message}")
    return seconds


def sales_count() -> int:
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from marts.vendas")
        return cur.fetchone()[0]


def measure(repeats: int) -> None:
    shell = AppTest.from_string(EMPTY_PAGE_IN_THE_SHELL, default_timeout=60)
    shell.run()  # fills the caches of the sidebar's options
    empty, bare = statistics.median(timed(shell.run) for _ in range(repeats)), baseline(BARE_PAGE, repeats)
    print(f"\nwarehouse: {warehouse.describe()}; marts.vendas: {sales_count():,} sales; "
          f"median of {repeats} runs\n")
    print(f"{'':<22}{'':>10}{'':>10}{'':>15}{'of the warm run: s':>30}")
    print(f"{'page':<22}{'cold s':>10}{'warm s':>10}{'warm / empty':>15}{'compile':>10}{'model':>10}"
          f"{'elements':>10}")
    print(f"{'(bare script)':<22}{'':>10}{bare:>10.3f}{bare / empty:>15.2f}")
    print(f"{'(empty page in shell)':<22}{'':>10}{empty:>10.3f}{1:>15.2f}")
    for page in PAGES:
        cold = statistics.median(render(page, cold=True)[0] for _ in range(repeats))
        runs, ratios = [], []
        for _ in range(repeats):  # each warm run against an empty page's run just before it
            before = timed(shell.run)
            runs.append(render(page, cold=False))
            ratios.append(runs[-1][0] / before)
        warm, compile_, model, elements = (statistics.median(r[i] for r in runs) for i in range(4))
        print(f"{page:<22}{cold:>10.3f}{warm:>10.3f}{statistics.median(ratios):>15.2f}{compile_:>10.3f}"
              f"{model:>10.3f}{elements:>10.3f}", flush=True)


def main() -> int:
    logging.disable(logging.WARNING)  # AppTest's bare-mode notices, printed on every run otherwise
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="an already loaded and built database on the warehouse")
    parser.add_argument("--size", type=int, default=2000, help="reservations of the world to build")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warehouse.ensure_running()
    if args.database:
        os.environ["PGDATABASE"] = args.database
        context = nullcontext()
    else:
        from tests.builder import built_world

        started = time.perf_counter()
        today = datetime.combine(clock.today(), datetime.min.time()).replace(hour=9)
        context = built_world(5, args.size, Path(tempfile.mkdtemp(prefix="bench-app-")), prefix="bench_app",
                              now=today)
    with context as built:
        if built is not None:
            print(f"built a {args.size:,}-reservation world in {time.perf_counter() - started:.1f} s")
            os.environ["DBT_TARGET_PATH"] = str(built.target_dir)
        measure(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
