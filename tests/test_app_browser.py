"""End to end in a real browser: ``streamlit run`` on a free port against a database the suite
builds, each page opened in headless Chromium (Debian's ``chromium``, driven over the DevTools
protocol so we wait for the app to finish rendering instead of guessing a time budget). Each page
must show a KPI label with the value computed here from the marts, no error, and a screenshot
that is not blank (saved in ``screenshots/``, git-ignored, for a human to look at).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
import requests
from PIL import Image
from websockets.sync.client import connect

from dashboard import formatting as fmt
from dashboard import metrics as m
from pipelines import clock

from .builder import PROJECT_DIR, Built, built_world

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "screenshots"
WIDTH, HEIGHT = 1440, 2000
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Browser:
    """Headless Chromium with the flags the design names, driven over the DevTools protocol."""

    def __init__(self, profile: Path) -> None:
        self.process = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={profile}", "--remote-debugging-port=0", f"--window-size={WIDTH},{HEIGHT}",
             "--lang=pt-BR", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        port = wait_until(lambda: port_file.exists() and port_file.read_text().split("\n")[0], 30,
                          "Chromium's DevTools port")
        pages = [t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                 if t["type"] == "page"]
        self.connection = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self.ws = self.connection.__enter__()
        self.next_id = 0
        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1,
                  mobile=False)

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:  # events arrive in between; keep the answer to this call
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def js(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        self.connection.__exit__(None, None, None)
        self.process.terminate()
        self.process.wait(timeout=10)


# A page is done when the script run is over (the app root says so, as Streamlit's own end-to-end
# tests read it; no status widget, no skeleton), its title is there, and every chart has drawn its
# canvas or svg.
RENDERED = """(() => {
  const q = s => document.querySelectorAll(s);
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if (q('[data-testid="stStatusWidget"]').length || q('[data-testid="stSkeleton"]').length) return null;
  if (!q('h1').length) return null;
  for (const c of q('[data-testid="stVegaLiteChart"]'))
    if (!c.querySelector('canvas, svg')) return null;
  return {metrics: [...q('[data-testid="stMetric"]')].map(e => e.innerText),
          charts: q('[data-testid="stVegaLiteChart"]').length,
          text: document.body.innerText};
})()"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Built, str]]:
    """A built world as of today, of an account with the CRM's anomalies and its own situation
    names (profile ``legada``) and its targets, loaded and built a month ago and again today (so
    the history from the snapshots has two days), and ``streamlit run streamlit_app.py``
    serving it."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: apt-get install chromium (.ci/run does it)")
    tmp = tmp_path_factory.mktemp("browser")
    today = datetime.combine(clock.today(), datetime.min.time()).replace(hour=9)
    with built_world(43, 300, tmp, prefix="test_browser", now=today - timedelta(days=30),
                     profile="legada", metas=True) as built:
        built.world.advance(days=30)
        built.load()
        built.build()
        assert built.dbt("source", "freshness").returncode == 0
        port = free_port()
        env = os.environ | {"DBT_TARGET_PATH": str(built.target_dir)}
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port)],
            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _healthy(url), 60, "streamlit run to answer")
            yield built, url
        finally:
            server.terminate()
            output = server.communicate(timeout=20)[0]
        assert "Traceback" not in output, output[-3000:]


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/_stcore/health", timeout=2).text == "ok"
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    profile = Path(tempfile.mkdtemp(prefix="chromium-"))
    b = Browser(profile)
    yield b
    b.close()
    shutil.rmtree(profile, ignore_errors=True)


def twelve_months() -> m.Period:
    return m.preset_period("Últimos 12 meses", clock.today())


def count_sales(b: Built, period: m.Period) -> str:
    return fmt.integer(b.query("select count(*) from marts.vendas where data_venda between %s and %s",
                               (period.start, period.end))[0][0])


# page url path → (KPI label, its value computed from the marts for the default period)
EXPECTED: dict[str, Callable[[Built], tuple[str, str]]] = {
    "": lambda b: ("Vendas brutas", count_sales(b, twelve_months())),
    "vendas": lambda b: ("Vendas brutas no mês", count_sales(
        b, m.Period(m.month_start(clock.today()), m.month_end(clock.today())))),
    "vso": lambda b: ("Lançamentos no período", fmt.integer(b.query(
        "select sum(lancamentos) from marts.vso where mes between %s and %s",
        (twelve_months().first_month, twelve_months().last_month))[0][0])),
    "comissoes": lambda b: ("Quantidade de comissões", fmt.integer(b.query(
        "select count(*) from marts.comissoes where data_venda between %s and %s",
        (twelve_months().start, twelve_months().end))[0][0])),
    "prosoluto": lambda b: ("Participação do pró-soluto", fmt.percent(b.query(
        "select sum(p.valor_prosoluto) / sum(p.valor_contrato) from marts.prosoluto p join marts.vendas v"
        " using (idreserva) where v.data_venda between %s and %s",
        (twelve_months().start, twelve_months().end))[0][0])),
    "dados": lambda b: ("Último dbt build", "Com alertas"),  # the anomalies warn
    "funil": lambda b: ("Leads", fmt.integer(b.query(
        "select count(*) from marts.funil where mes_coorte between %s and %s",
        (twelve_months().first_month, twelve_months().last_month))[0][0])),
    "estoque": lambda b: ("Unidades em estoque", fmt.integer(b.query(
        "select sum(unidades_estoque) from marts.estoque_empreendimentos")[0][0])),
    "repasses": lambda b: ("Repasses em aberto", fmt.integer(b.query(
        "select count(*) from marts.repasses where not is_concluido and data_venda between %s and %s",
        (twelve_months().start, twelve_months().end))[0][0])),
}


@pytest.mark.parametrize("path", list(EXPECTED))
def test_page_renders_in_chromium(served: tuple[Built, str], browser: Browser, path: str):
    built, url = served
    label, value = EXPECTED[path](built)
    browser.open(f"{url}/{path}")
    page = wait_until(lambda: browser.js(RENDERED), 90, f"page /{path} to render")
    cards = [text for text in page["metrics"] if text.startswith(label)]
    assert cards and value in cards[0], (label, value, page["metrics"])
    assert "Traceback" not in page["text"] and "Error" not in page["text"]
    if path != "dados":
        assert page["charts"] >= 1
    else:  # the profile's anomalies are listed (the grid draws on a canvas: no text to read)
        assert "Anomalias nos dados do CVCRM" in page["text"]
        assert "Nenhuma anomalia encontrada" not in page["text"]
    time.sleep(1)  # let the charts' last animation frame paint
    png = browser.screenshot()
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / f"{path or 'visao_geral'}.png").write_bytes(png)
    image = Image.open(BytesIO(png)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50, "the screenshot is nearly blank"
    dark = sum(image.convert("L").histogram()[:200])
    assert dark > 0.005 * WIDTH * HEIGHT, "the screenshot has almost nothing drawn on it"
