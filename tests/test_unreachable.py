"""A wrong CVDW address is reported within a minute as a configuration error naming the host;
only a CVDW that has answered in this run is waited for ``max_retry_seconds``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psycopg2
import pytest

from pipelines import warehouse
from pipelines.cvdw_source.client import CVDWClient, CVDWUnavailable, CVDWUnreachable, Settings
from pipelines.ops import history

from .conftest import EMAIL, PROJECT_DIR, TOKEN

NOWHERE = "cvdw-nao-existe.invalid"  # .invalid never resolves (RFC 6761)
A_MINUTE = 60.0  # the requirement: the user hears of a wrong address within a minute


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go straight to the address: a proxy would answer for the host instead."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def refused_port() -> int:
    """A port nothing listens on: bound to learn a free one, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def point_at(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    """The loader's CVDW address, with the default patience for an outage."""
    monkeypatch.setenv("SOURCES__CVDW__BASE_URL", base_url)
    monkeypatch.setenv("SOURCES__CVDW__MAX_RETRY_SECONDS", "900")


def assert_one_line_names(err: str, host: str, *words: str) -> None:
    naming = [line for line in err.splitlines() if host in line]
    assert len(naming) == 1, err[-2000:]
    assert naming[0].startswith(f"error: cannot reach CVDW at {host}: ")
    for word in (*words, "[sources.cvdw]"):
        assert word in naming[0]


def test_a_host_that_does_not_resolve_exits_2_within_a_minute(run_pipeline, monkeypatch):
    point_at(monkeypatch, f"http://{NOWHERE}/api/v1/cvdw")
    started = time.monotonic()
    result = run_pipeline()
    seconds = time.monotonic() - started
    assert result.code == 2, result.err[-2000:]
    assert seconds < A_MINUTE
    assert_one_line_names(result.err, NOWHERE, "does not resolve")
    assert TOKEN not in result.out + result.err


def test_a_refused_connection_exits_2_within_a_minute(run_pipeline, monkeypatch):
    port = refused_port()
    point_at(monkeypatch, f"http://127.0.0.1:{port}/api/v1/cvdw")
    started = time.monotonic()
    result = run_pipeline("--endpoints", "reservas")
    seconds = time.monotonic() - started
    assert result.code == 2, result.err[-2000:]
    assert seconds < A_MINUTE
    assert_one_line_names(result.err, "127.0.0.1", f"refused the connection on port {port}")
    assert TOKEN not in result.out + result.err


def test_cvdw_ops_exits_2_and_records_the_host(database, cvdw_config, monkeypatch):
    point_at(monkeypatch, f"http://{NOWHERE}/api/v1/cvdw")
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pipelines.ops", "run", "--stages", "load"], cwd=PROJECT_DIR,
        env=os.environ.copy(), capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert time.monotonic() - started < A_MINUTE
    with psycopg2.connect(warehouse.connection_url()) as conn:
        [run] = history.last_runs(conn, 1)
    assert (run["exit_code"], run["failed_stage"]) == (2, "config")
    assert run["error"].startswith(f"cannot reach CVDW at {NOWHERE}")
    assert TOKEN not in completed.stdout + completed.stderr + run["error"]


def test_with_the_default_backoff_a_wrong_address_is_reported_within_a_minute():
    """The shipped settings (backoff 2 s, max_retry_seconds 900): a short grace, then the error."""
    client = CVDWClient(Settings(f"http://127.0.0.1:{refused_port()}/api/v1/cvdw", EMAIL, TOKEN))
    started = time.monotonic()
    with pytest.raises(CVDWUnreachable, match="refused the connection"):
        client.get_page("reservas")
    assert time.monotonic() - started < A_MINUTE
    assert client.stats.requests > 1  # a DNS hiccup gets a second chance


def settings(base_url: str, **overrides: float) -> Settings:
    values = {"requests_per_minute": 10_000, "rate_limit_window_seconds": 1.0,
              "backoff_seconds": 0.05, "timeout_seconds": 2.0} | overrides
    return Settings(base_url, EMAIL, TOKEN, **values)


def test_a_cvdw_that_answered_and_went_away_is_retried_for_max_retry_seconds(simulator):
    client = CVDWClient(settings(simulator.base_url, max_retry_seconds=3.0))
    assert client.get_page("reservas").rows
    simulator.stop()
    # The stopped simulator's handler thread would still serve the kept-alive connection; a
    # server that goes away drops it, so drop it here too (the session opens new ones).
    client.close()
    started = time.monotonic()
    with pytest.raises(CVDWUnavailable, match="kept failing"):
        client.get_page("reservas")
    seconds = time.monotonic() - started
    assert 3.0 <= seconds < 10.0
    assert client.stats.retries > 3


def test_a_host_that_accepts_but_never_answers_is_an_outage_not_a_wrong_address():
    """Timeouts are a slow server: retried for ``max_retry_seconds`` as before."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts; nobody ever answers
        port = silent.getsockname()[1]
        client = CVDWClient(settings(f"http://127.0.0.1:{port}/api/v1/cvdw",
                                     timeout_seconds=0.2, max_retry_seconds=1.0))
        with pytest.raises(CVDWUnavailable, match="timeout"):
            client.get_page("reservas")
