"""``cvdw-ops``: the chain's exit codes, the run lock across processes, run history in ``ops.runs``,
alerts to a local webhook and a local SMTP server, JSON logs, and the schedule's time window.

One database is loaded and built for real once (``chain``); the dbt-failure and stale-data
tests reuse it, changing one raw value and putting it back. The other failure classes stop
before dbt, so they are quick.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as TimeOfDay
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from aiosmtpd.controller import Controller

from pipelines import warehouse
from pipelines.ops import history, lock, schedule
from pipelines.ops.cli import main as ops_main
from simulator import Simulator, World

from .builder import admin
from .conftest import EMAIL, PERSONAL_DATA_KEY, PROJECT_DIR, TOKEN

PG_SECRET = "pg-s3cr3t-password-7c1b"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


# ------------------------------------------------------------------------------------ receivers
@dataclass
class Receivers:
    webhook: list[dict] = field(default_factory=list)
    emails: list[email.message.EmailMessage] = field(default_factory=list)

    def clear(self) -> None:
        self.webhook.clear()
        self.emails.clear()

    def texts(self) -> list[str]:
        """Everything received, as text: webhook bodies and whole e-mails with headers."""
        return [json.dumps(body, ensure_ascii=False) for body in self.webhook] + [
            m.as_string() for m in self.emails]

    def env(self, webhook_url: str, smtp_port: int) -> dict[str, str]:
        return {"ALERTS__WEBHOOK_URL": webhook_url, "ALERTS__SMTP__HOST": "127.0.0.1",
                "ALERTS__SMTP__PORT": str(smtp_port), "ALERTS__SMTP__TO": "dados@example.com",
                "ALERTS__SMTP__SENDER": "cvdw-elt <alerts@example.com>"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def receivers() -> Receivers:
    """A local HTTP receiver (a chat webhook) and a local SMTP server (aiosmtpd)."""
    got = Receivers()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.webhook.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    class Mailbox:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
            got.emails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    http = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    got.settings = got.env(f"http://127.0.0.1:{http.server_address[1]}/hook/T0KEN-IN-URL", smtp.port)
    yield got
    smtp.stop()
    http.shutdown()


@pytest.fixture(autouse=True)
def dbt_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """dbt's artifacts for this test only, never the checkout's dbt_project/target."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    return tmp_path / "target"


@pytest.fixture
def alerts_to(receivers: Receivers, monkeypatch: pytest.MonkeyPatch) -> Receivers:
    for key, value in receivers.settings.items():
        monkeypatch.setenv(key, value)
    receivers.clear()
    return receivers


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in (TOKEN, PG_SECRET, "T0KEN-IN-URL"):
            assert secret not in text


# ------------------------------------------------------------------------------------ running
@dataclass
class Outcome:
    code: int
    out: str
    err: str


def ops(*args: str) -> Outcome:
    """``cvdw-ops ARGS`` in this process, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = ops_main(list(args))
    return Outcome(code, out.getvalue(), err.getvalue())


def runs() -> list[dict]:
    with psycopg2.connect(warehouse.connection_url()) as conn:
        return history.last_runs(conn, 50)


def simulator_env(sim: Simulator, page_size: int) -> dict[str, str]:
    return {"SOURCES__CVDW__BASE_URL": sim.base_url, "SOURCES__CVDW__EMAIL": EMAIL,
            "SOURCES__CVDW__TOKEN": TOKEN, "SOURCES__CVDW__PERSONAL_DATA_KEY": PERSONAL_DATA_KEY,
            "SOURCES__CVDW__REQUESTS_PER_MINUTE": "10000",
            "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": "1",
            "SOURCES__CVDW__PAGE_SIZE": str(page_size), "SOURCES__CVDW__TIMEOUT_SECONDS": "5",
            "SOURCES__CVDW__BACKOFF_SECONDS": "0.05", "SOURCES__CVDW__MAX_RETRY_SECONDS": "30"}


@dataclass
class Chain:
    world: World
    database: str
    first: Outcome
    webhook: list[dict]
    emails: list


@pytest.fixture(scope="module")
def built_chain(receivers: Receivers, tmp_path_factory: pytest.TempPathFactory):
    """A fresh database where one whole run (real load, real dbt build, freshness) succeeded,
    with ``--notify-success``; kept for the module's tests."""
    world = World(seed=7, size=300)
    name = f"test_ops_{uuid.uuid4().hex[:10]}"
    admin(f"create database {name}")
    try:
        with pytest.MonkeyPatch.context() as mp, Simulator(
                world, email=EMAIL, token=TOKEN, requests_per_window=10_000, window_seconds=1.0) as sim:
            env = {"PGDATABASE": name, "CVDW_PIPELINES_DIR": str(tmp_path_factory.mktemp("dlt")),
                   "DBT_TARGET_PATH": str(tmp_path_factory.mktemp("target")),
                   **simulator_env(sim, 500), **receivers.settings}
            for key, value in env.items():
                mp.setenv(key, value)
            receivers.clear()
            first = ops("run", "--notify-success")
        yield Chain(world, name, first, list(receivers.webhook), list(receivers.emails))
    finally:
        admin(f"drop database if exists {name} with (force)")


@pytest.fixture
def chain(built_chain: Chain, monkeypatch: pytest.MonkeyPatch) -> Chain:
    """The built database, as the warehouse of this test."""
    monkeypatch.setenv("PGDATABASE", built_chain.database)
    return built_chain


# ------------------------------------------------------------------------------------ success
def test_success_exits_0_records_the_run_and_sends_a_summary(chain: Chain):
    assert chain.first.code == 0, chain.first.err[-3000:]
    [run] = runs()
    assert run["status"] == "success" and run["exit_code"] == 0 and run["failed_stage"] is None
    assert run["finished_at"] >= run["started_at"] and run["error"] is None
    assert run["rows_loaded"]["reservas"] == len(chain.world.rows("reservas"))
    assert run["rows_loaded"]["vendas"] == len(chain.world.rows("vendas"))
    assert run["requests"] >= len(run["rows_loaded"]) and run["rate_limit_wait_seconds"] is not None
    assert run["tests_passed"] > 50 and run["tests_failed"] == 0

    [hook] = chain.webhook
    assert set(hook) == {"text"} and "succeeded" in hook["text"]
    assert f"reservas {len(chain.world.rows('reservas')):,}" in hook["text"]
    assert f"{run['tests_passed']} passed" in hook["text"]
    [mail] = chain.emails
    assert "succeeded" in mail["Subject"] and mail["To"] == "dados@example.com"
    assert f"{run['tests_passed']} passed" in mail.get_content()
    assert_no_secret(chain.first.out, chain.first.err, json.dumps(hook), mail.as_string())


def pin_clock_after_the_load(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    """Loads are stamped with the real time; pin the one clock ``days`` after reservas' newest."""
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select max(_dlt_load_id)::double precision from raw.reservas")
        loaded = datetime.fromtimestamp(cur.fetchone()[0], UTC)
    monkeypatch.setenv("CVDW_NOW", (loaded + timedelta(days=days)).isoformat())


def test_status_shows_the_last_run_and_raw_freshness(chain: Chain, monkeypatch: pytest.MonkeyPatch):
    pin_clock_after_the_load(monkeypatch, days=0)
    result = ops("status")
    assert result.code == 0, result.err
    assert "Lock: free" in result.out
    run_line = next(line for line in result.out.splitlines() if " success " in line)
    assert f"{sum(runs()[0]['rows_loaded'].values()):,}" in run_line
    reservas = next(line for line in result.out.splitlines() if line.strip().startswith("reservas "))
    assert "0.0 days ago" in reservas and f"{len(chain.world.rows('reservas')):,} rows" in reservas


def test_a_full_refresh_after_dbt_build_reloads_and_builds_again(
        chain: Chain, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """dbt's staging views read raw; dropping a table they read used to fail the refresh."""
    with Simulator(chain.world, email=EMAIL, token=TOKEN, requests_per_window=10_000,
                   window_seconds=1.0) as sim:
        env = simulator_env(sim, 500) | {"CVDW_PIPELINES_DIR": str(tmp_path / "dlt"),
                                         "DBT_TARGET_PATH": str(tmp_path / "target")}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        result = ops("run", "--full-refresh", "--endpoints", "corretores,imobiliarias",
                     "--stages", "load,build")
    assert result.code == 0, result.err[-3000:]
    assert "staging.stg_cvdw__corretores" in result.err  # named in the line that dropped it
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from raw.corretores")
        assert cur.fetchone()[0] == len(chain.world.rows("corretores"))
        cur.execute("select count(*) from staging.stg_cvdw__corretores")  # re-created by the build
        assert cur.fetchone()[0] > 0


# ------------------------------------------------------------------------------------ dbt, stale
def sold_reservation() -> tuple[str, int]:
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select referencia, idempreendimento from raw.reservas where coalesce(ativo, 'S') <> 'N'"
                    " and data_venda ~ '^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}' limit 1")
        return cur.fetchone()


def set_development(referencia: str, idempreendimento: int | None) -> None:
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("update raw.reservas set idempreendimento = %s where referencia = %s",
                    (idempreendimento, referencia))


def test_a_failing_dbt_test_exits_4(chain: Chain, alerts_to: Receivers, monkeypatch: pytest.MonkeyPatch):
    """A test of our own logic fails the run (a sale without its development breaks the marts)."""
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA_KEY", PERSONAL_DATA_KEY)
    reservation, development = sold_reservation()
    set_development(reservation, None)
    sales = "--select int_vendas_consolidadas vendas --indirect-selection cautious"
    try:
        result = ops("run", "--stages", "build", "--dbt-args", sales)
        run, hooks = runs()[0], list(alerts_to.webhook)
    finally:
        set_development(reservation, development)
        assert ops("run", "--stages", "build", "--dbt-args", sales).code == 0
    assert result.code == 4, result.err[-3000:]
    assert (run["status"], run["exit_code"], run["failed_stage"]) == ("failed", 4, "dbt")
    assert run["tests_failed"] == 1 and run["tests_passed"] >= 1
    assert "not_null_vendas_idempreendimento" in run["error"]
    [hook] = hooks
    assert "exit 4" in hook["text"] and "idempreendimento" in hook["text"]


def test_what_cvdw_sends_only_warns(chain: Chain, alerts_to: Receivers, monkeypatch: pytest.MonkeyPatch):
    """A negative contract value is the CRM's data, not our bug: the run succeeds, with a warning."""
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA_KEY", PERSONAL_DATA_KEY)
    flip = "update raw.reservas set valor_contrato = -valor_contrato where referencia = %s"
    reservation, _ = sold_reservation()
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute(flip, (reservation,))
    try:
        result = ops("run", "--stages", "build", "--dbt-args", "--select stg_cvdw__reservas")
    finally:
        with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
            cur.execute(flip, (reservation,))
    assert result.code == 0, result.err[-3000:]
    run = runs()[0]
    assert run["status"] == "success" and run["tests_warned"] == 1 and run["tests_failed"] == 0
    assert not alerts_to.webhook


def test_stale_data_exits_5_naming_the_stale_table(chain: Chain, alerts_to: Receivers,
                                                   monkeypatch: pytest.MonkeyPatch):
    """Freshness is judged on dlt's load ids against the one clock: ten days after the load,
    reservas (error after 7 days) is stale and units (after 30) are not."""
    pin_clock_after_the_load(monkeypatch, days=10)
    result = ops("run", "--stages", "freshness")
    assert result.code == 5, result.err[-3000:]
    run = runs()[0]
    assert (run["status"], run["exit_code"], run["failed_stage"]) == ("failed", 5, "freshness")
    assert run["error"].startswith("stale sources: ") and "cvdw.unidades" not in run["error"]
    assert "cvdw.reservas (last loaded 10.0 days ago)" in run["error"]
    [mail] = alerts_to.emails
    assert "exit 5" in mail["Subject"] and "cvdw.reservas" in mail.get_content()


# ------------------------------------------------------------------------------------ before dbt
def test_missing_configuration_exits_2_recorded_and_alerted_in_json_logs(database, alerts_to):
    result = ops("--log-format", "json", "run")
    assert result.code == 2
    lines = [json.loads(line) for line in result.err.splitlines()]  # every line is one object
    assert lines[-1]["exit_code"] == 2 and lines[-1]["failed_stage"] == "config"  # the last word
    assert any("CVDW is not configured" in line["message"] for line in lines)
    [run] = runs()
    assert (run["status"], run["exit_code"], run["failed_stage"]) == ("failed", 2, "config")
    assert run["error"].startswith("CVDW is not configured")
    [hook], [mail] = alerts_to.webhook, alerts_to.emails
    assert "exit 2, stage config" in hook["text"] and "CVDW is not configured" in mail.get_content()


def test_refused_credentials_exit_2_without_the_token(database, cvdw_config, simulator, alerts_to):
    simulator.refuse_credentials = True
    result = ops("run")
    assert result.code == 2
    run = runs()[0]
    assert (run["exit_code"], run["failed_stage"]) == (2, "config") and "HTTP 401" in run["error"]
    assert len(alerts_to.webhook) == len(alerts_to.emails) == 1
    assert_no_secret(result.out, result.err, run["error"], *alerts_to.texts())


def test_api_unavailable_exits_3(database, cvdw_config, simulator, alerts_to, monkeypatch):
    monkeypatch.setenv("SOURCES__CVDW__MAX_RETRY_SECONDS", "1")
    simulator.fail_next(10_000, "503")
    result = ops("run", "--endpoints", "reservas")
    assert result.code == 3, result.err[-2000:]
    run = runs()[0]
    assert (run["status"], run["exit_code"], run["failed_stage"]) == ("failed", 3, "load")
    assert "kept failing" in run["error"] and run["requests"] >= 2
    assert "exit 3, stage load" in alerts_to.webhook[0]["text"]


def test_a_failed_path_exits_1_and_keeps_what_loaded(database, cvdw_config, world, simulator,
                                                     alerts_to):
    simulator.forbidden_paths.add("repasses")
    result = ops("run", "--endpoints", "reservas,repasses")
    assert result.code == 1, result.err[-2000:]
    run = runs()[0]
    assert (run["status"], run["exit_code"], run["failed_stage"]) == ("failed", 1, "load")
    assert run["rows_loaded"]["reservas"] == len(world.rows("reservas"))
    assert run["error"].startswith("repasses:") and "HTTP 403" in run["error"]
    assert run["tests_passed"] is None  # dbt did not run after a failed load
    assert "exit 1" in alerts_to.emails[0]["Subject"]


def test_unreachable_warehouse_exits_2_and_alerts_without_the_password(alerts_to, monkeypatch):
    for key, value in {"PGHOST": "127.0.0.1", "PGPORT": str(_free_port()), "PGUSER": "etl",
                       "PGPASSWORD": PG_SECRET, "PGDATABASE": "cvdw"}.items():
        monkeypatch.setenv(key, value)
    result = ops("run")
    assert result.code == 2
    assert "cannot connect" in result.err and "PG*" in result.err
    [hook], [mail] = alerts_to.webhook, alerts_to.emails
    assert "exit 2" in hook["text"] and "cannot connect" in mail.get_content()
    assert_no_secret(result.out, result.err, *alerts_to.texts())


def test_an_alert_that_cannot_be_sent_is_logged_and_changes_nothing(database, alerts_to,
                                                                    monkeypatch):
    monkeypatch.setenv("ALERTS__WEBHOOK_URL", f"http://127.0.0.1:{_free_port()}/hook/T0KEN-IN-URL")
    result = ops("run")
    assert result.code == 2  # missing configuration, as without alerts
    assert "alert by webhook not sent" in result.err and len(alerts_to.emails) == 1
    assert_no_secret(result.err)


def test_a_role_that_cannot_create_the_history_schema_exits_2(database, alerts_to, monkeypatch):
    role = f"no_create_{uuid.uuid4().hex[:8]}"
    admin(f"create role {role} login")
    try:
        with monkeypatch.context() as as_role:  # undone before the role and database are dropped
            for key, value in {"PGHOST": "127.0.0.1", "PGPORT": str(warehouse.EMBEDDED_PORT),
                               "PGUSER": role, "PGPASSWORD": PG_SECRET, "PGSSLMODE": "disable"}.items():
                as_role.setenv(key, value)
            result = ops("run")
    finally:
        admin(f"drop role if exists {role}")
    assert result.code == 2
    assert "cannot write the run history ops.runs" in result.err and "grant" in result.err
    assert "exit 2, stage config" in alerts_to.webhook[0]["text"]
    assert_no_secret(result.err, *alerts_to.texts())


def test_unknown_stage_is_a_usage_error():
    result = ops("run", "--stages", "load,deploy")
    assert result.code == 2 and "--stages 'load,deploy'" in result.err


def test_a_build_before_the_first_load_declares_raw_and_builds_empty_marts(database, monkeypatch):
    """No CVDW at all (no address, no credentials): the build stage creates the declared raw
    tables, staging reads them by name, unit tests run on them, the marts come out empty."""
    monkeypatch.setenv("SOURCES__CVDW__PERSONAL_DATA_KEY", PERSONAL_DATA_KEY)
    result = ops("run", "--stages", "build")
    assert result.code == 0, result.err[-3000:]
    [run] = runs()
    assert run["status"] == "success" and run["tests_failed"] == 0 and run["tests_passed"] > 0
    declared = json.loads((PROJECT_DIR / "pipelines/cvdw_source/catalogue.json").read_text())
    columns = dict(database.query("select column_name, data_type from information_schema.columns"
                                  " where table_schema = 'raw' and table_name = 'comissoes'"))
    assert set(declared["paths"]["comissoes"]["columns"]) - {"cliente", "cep_cliente"} <= set(columns)
    assert columns["valor_comissao__v_text"] in ("text", "character varying")
    for mart in ("vendas", "comissoes", "prosoluto", "vso", "empreendimentos"):
        assert database.count(mart, schema="marts") == 0
    assert ops("run", "--stages", "build").code == 0  # and again: nothing left to declare


# ------------------------------------------------------------------------------------ the lock
def test_a_second_run_exits_6_and_a_killed_run_leaves_no_lock(database, cvdw_config, world):
    """Run A (a separate process, paced slowly) holds the lock; run B, here, exits 6 at once.
    Then A is killed with SIGKILL: Postgres drops its lock, and the next run closes A's row."""
    a = start_slow_run()
    try:
        wait_for_running_row(a)
        with contextlib.closing(lock.connect()) as conn:
            holder = lock.holder_pid(conn)
        assert holder is not None
        status = ops("status")
        assert f"Lock: held by server process {holder} (run 1, started" in status.out

        b = ops("run", "--endpoints", "reservas")
        assert b.code == 6
        assert "another run is in progress" in b.err and "run 1" in b.err
        assert len(runs()) == 1  # B records nothing: it did not run
        assert a.poll() is None  # A was still running all along: B did not wait for the lock
    finally:
        a.send_signal(signal.SIGKILL)
        a.wait(timeout=10)

    deadline = time.monotonic() + 20
    with contextlib.closing(lock.connect()) as conn:
        while lock.holder_pid(conn) is not None:
            assert time.monotonic() < deadline, "the killed run's lock was not released"
            time.sleep(0.2)
    assert runs()[0]["status"] == "running"  # A died without recording its end

    c = ops("--log-format", "json", "run", "--endpoints", "corretores", "--stages", "load")
    assert c.code == 0, c.err[-2000:]
    records = [json.loads(line) for line in (c.out + c.err).splitlines()]  # loader's and dlt's too
    assert any(r.get("message", "").startswith("path ") and r.get("requests") for r in records)
    newest, killed = runs()
    assert newest["status"] == "success"
    assert killed["status"] == "failed" and killed["error"] == history.DIED


def test_sigterm_records_the_stopped_run_and_frees_the_lock(database, cvdw_config, alerts_to):
    """systemd stop, a PaaS restart or `timeout` send SIGTERM: the run says so, in history and alert."""
    run = start_slow_run()
    try:
        wait_for_running_row(run)
        run.send_signal(signal.SIGTERM)
        code = run.wait(timeout=30)
    finally:
        run.kill()
    err = run.stderr.read().decode()
    assert code == 1, err[-2000:]
    [row] = runs()
    assert (row["status"], row["exit_code"], row["failed_stage"]) == ("failed", 1, "load")
    assert row["error"] == "stopped by SIGTERM during load" and row["finished_at"] is not None
    with contextlib.closing(lock.connect()) as conn:
        assert lock.holder_pid(conn) is None
    assert alerts_to.webhook and "stopped by SIGTERM" in alerts_to.webhook[0]["text"], err[-2000:]


def start_slow_run() -> subprocess.Popen:
    """``cvdw-ops run`` in its own process, paced to one CVDW request every 5 s."""
    env = os.environ | {"SOURCES__CVDW__REQUESTS_PER_MINUTE": "1",
                        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": "5"}
    return subprocess.Popen([sys.executable, "-m", "pipelines.ops", "run", "--endpoints", "reservas"],
                            cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_running_row(run: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not (has_table() and runs()):
        assert run.poll() is None and time.monotonic() < deadline, run.stderr.read().decode()[-2000:]
        time.sleep(0.2)


def has_table() -> bool:
    with psycopg2.connect(warehouse.connection_url()) as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('ops.runs') is not null")
        return cur.fetchone()[0]


# ------------------------------------------------------------------------------------ schedule
def next_runs(every: str, window: str, zone: ZoneInfo, now: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times after ``now``: the clock is the argument, nothing waits."""
    start, end = schedule.parse_window(window)
    trigger = schedule.make_trigger(schedule.parse_every(every), start, end, zone)
    times, previous = [], None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        times.append(previous)
        now = previous + timedelta(seconds=1)
    return times


def local(text: str, zone: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def test_business_hours_every_4_hours_in_sao_paulo():
    start, end = schedule.parse_window("06:00-22:00")
    times = schedule.times_of_day(schedule.parse_every("4h"), start, end)
    assert times == [TimeOfDay(h) for h in (6, 10, 14, 18, 22)]
    after_last = next_runs("4h", "06:00-22:00", SAO_PAULO, local("2026-11-29 22:00:01"), 2)
    assert after_last == [local("2026-11-30 06:00"), local("2026-11-30 10:00")]
    # 00:30 UTC on the 30th is still 21:30 of the 29th in São Paulo (UTC-3): next is 22:00 there.
    utc_now = datetime.fromisoformat("2026-11-30 00:30+00:00")
    [upcoming] = next_runs("4h", "06:00-22:00", SAO_PAULO, utc_now, 1)
    assert upcoming == local("2026-11-29 22:00")
    assert upcoming.astimezone(ZoneInfo("UTC")).hour == 1


def test_a_window_across_midnight():
    start, end = schedule.parse_window("22:00-06:00")
    assert schedule.times_of_day(timedelta(hours=4), start, end) == [
        TimeOfDay(2), TimeOfDay(6), TimeOfDay(22)]
    assert next_runs("4h", "22:00-06:00", SAO_PAULO, local("2026-11-29 12:00"), 4) == [
        local("2026-11-29 22:00"), local("2026-11-30 02:00"), local("2026-11-30 06:00"),
        local("2026-11-30 22:00")]


def test_a_run_every_15_minutes_all_day_is_one_cron_trigger():
    start, end = schedule.parse_window("00:00-23:45")
    trigger = schedule.make_trigger(timedelta(minutes=15), start, end, SAO_PAULO)
    assert str(trigger) == "cron[hour='0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23'" \
                           ", minute='0,15,30,45']"
    assert next_runs("15m", "00:00-23:45", SAO_PAULO, local("2026-11-29 23:50"), 2) == [
        local("2026-11-30 00:00"), local("2026-11-30 00:15")]


def test_uneven_intervals_and_daylight_saving():
    assert next_runs("90m", "06:00-09:00", SAO_PAULO, local("2026-11-29 05:00"), 4) == [
        local("2026-11-29 06:00"), local("2026-11-29 07:30"), local("2026-11-29 09:00"),
        local("2026-11-30 06:00")]
    # New York moves its clocks on 2026-03-08: 06:00 local is 11:00 UTC before, 10:00 UTC after.
    new_york = ZoneInfo("America/New_York")
    runs_ny = next_runs("24h", "06:00-06:00", new_york, local("2026-03-07 05:00", new_york), 2)
    assert [t.astimezone(ZoneInfo("UTC")).hour for t in runs_ny] == [11, 10]
    assert [t.hour for t in runs_ny] == [6, 6]


def test_the_scheduler_runs_each_run_in_a_child_and_never_two_at_once(monkeypatch):
    jobs = []
    monkeypatch.setattr(schedule.BlockingScheduler, "start",
                        lambda self: jobs.extend(self.get_jobs()))  # stop before waiting
    result = ops("schedule", "--every", "4h", "--", "--notify-success")
    assert result.code == 0 and "06:00, 10:00, 14:00, 18:00, 22:00" in result.err
    [job] = jobs
    assert job.func is schedule.run_once and job.args == (["--notify-success"],)
    assert job.max_instances == 1 and job.coalesce
    # The child is the same command line: an unknown stage comes back as its usage error.
    assert schedule.run_once(["--stages", "nope"]) == 2


def test_sigterm_to_the_scheduler_reaches_the_run_in_progress(monkeypatch):
    """A PaaS restart signals only the worker's main process: the run must hear it too."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(schedule, "_children", {child})
    try:
        with pytest.raises(SystemExit):
            schedule.stop_children(signal.SIGTERM, None)
        assert child.returncode == -signal.SIGTERM
    finally:
        child.kill()


@pytest.mark.parametrize("args, message", [
    (["--every", "0h"], "--every '0h' is not an interval"),
    (["--between", "6-22"], "--between '6-22' is not a window"),
    (["--timezone", "Brasil/Recife"], "--timezone 'Brasil/Recife' is not an IANA time zone"),
])
def test_schedule_settings_that_cannot_be_understood(args, message):
    result = ops("schedule", *args)
    assert result.code == 2 and message in result.err
