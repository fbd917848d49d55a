"""The loader against the simulator and the embedded PostgreSQL: counts, increments, faults, crashes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from pipelines.cvdw_source.endpoints import ENDPOINTS
from simulator import PATHS

from .conftest import PAGE_SIZE, PROJECT_DIR, TOKEN, Database, run_script


def raw_versions(db: Database, table: str) -> dict[str, str]:
    return dict(db.query(f'select referencia, referencia_data from raw."{table}"'))


def world_versions(world, path: str) -> dict[str, str]:
    return {str(r["referencia"]): r["referencia_data"] for r in world.rows(path)}


def assert_raw_equals_world(db: Database, world) -> None:
    for endpoint in ENDPOINTS:
        expected = world_versions(world, endpoint.path)
        assert db.count(endpoint.table) == len(expected), endpoint.path  # no duplicates
        assert raw_versions(db, endpoint.table) == expected, endpoint.path


def requests_per_path(sim) -> Counter:
    return Counter(r.path for r in sim.requests)


def test_endpoint_table_covers_every_simulated_path():
    assert {e.path for e in ENDPOINTS} == set(PATHS)


def test_full_load_equals_the_world_across_many_pages(run_pipeline, database, world, simulator):
    result = run_pipeline()
    assert result.code == 0, result.err
    assert_raw_equals_world(database, world)
    pages = requests_per_path(simulator)
    assert pages["reservas"] >= len(world.rows("reservas")) // PAGE_SIZE > 1  # really paged
    assert "reservas" in result.out and "rows in raw" in result.out  # the summary


def test_progress_says_rows_done_of_total_per_path(run_pipeline, world):
    result = run_pipeline("--endpoints", "reservas")
    lines = re.findall(r"reservas: ([\d,]+) of ([\d,]+) rows \([^)]*\), (\d+) requests?", result.err)
    done = [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b, _ in lines]
    assert len(done) > 2 and done == sorted(done)  # one line per page, rows only grow
    assert done[-1] == (len(world.rows("reservas")),) * 2


def test_second_run_without_changes_requests_once_per_path_and_loads_nothing(
        run_pipeline, database, simulator):
    assert run_pipeline().code == 0
    loads = database.scalar("select count(*) from raw._dlt_loads")
    simulator.reset_log()
    assert run_pipeline().code == 0
    assert requests_per_path(simulator) == Counter({path: 1 for path in PATHS})
    assert database.scalar("select count(*) from raw._dlt_loads") == loads


def test_new_edited_and_soft_deleted_rows_arrive_without_duplicates(
        run_pipeline, database, world):
    assert run_pipeline().code == 0
    changes = world.advance(days=60)
    for kind in ("added", "changed", "deleted"):
        assert sum(c[kind] for c in changes.values()) > 0, kind
    assert run_pipeline().code == 0
    assert_raw_equals_world(database, world)
    for path, change in changes.items():
        table = path.replace("/", "_")
        if change["deleted"] and path != "unidades":
            deleted = {str(r["referencia"]) for r in world.rows(path) if r.get("ativo") == "N"}
            loaded = database.query(f"select referencia from raw.{table} where ativo = 'N'")
            assert {ref for (ref,) in loaded} == deleted


def test_rows_edited_while_paging_are_not_lost(run_pipeline, database, world, simulator):
    simulator.edit_while_paging("reservas", per_request=2)
    assert run_pipeline("--endpoints", "reservas").code == 0
    simulator.stop_editing()
    expected = world_versions(world, "reservas")
    loaded = raw_versions(database, "reservas")
    assert set(loaded) == set(expected)
    assert database.count("reservas") == len(expected)


def largest_tie_group(world) -> tuple[str, str, int]:
    """The path, moment and size of the world's largest group of rows sharing a referencia_data."""
    groups = ((p, *Counter(r["referencia_data"] for r in world.rows(p)).most_common(1)[0]) for p in PATHS)
    path, moment, size = max(groups, key=lambda group: group[2])
    assert size >= 20, "the world should have a large tie group"
    return path, moment, size


def test_tie_group_larger_than_a_page_is_read_whole(run_pipeline, database, world, monkeypatch):
    path, _, size = largest_tie_group(world)
    monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", str(size // 3))
    assert run_pipeline("--endpoints", path).code == 0
    table = path.replace("/", "_")
    assert raw_versions(database, table) == world_versions(world, path)


def test_a_tie_group_edited_while_walked_is_walked_again(run_pipeline, database, world, simulator,
                                                         monkeypatch):
    from pipelines.cvdw_source.client import CVDWClient

    path, moment, size = largest_tie_group(world)
    group = [str(r["referencia"]) for r in world.rows(path) if r["referencia_data"] == moment]
    monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", str(size // 3))
    get_page = CVDWClient.get_page

    def edit_during_the_first_walk(self, path_, pagina=1, since=None, until=None, **kwargs):
        if pagina == 2 and since == until == moment and group:  # the server is idle between requests
            for referencia in group[:3]:  # rows of page 1 leave: page 2's first rows slide onto it
                world.touch(path, referencia)
            group.clear()
        return get_page(self, path_, pagina, since=since, until=until, **kwargs)

    monkeypatch.setattr(CVDWClient, "get_page", edit_during_the_first_walk)
    assert run_pipeline("--endpoints", path).code == 0
    walks = [r for r in simulator.requests if r.params.get("pagina") == "1"
             and r.params.get("a_partir_data_referencia") == r.params.get("ate_data_referencia") == moment]
    assert len(walks) == 2  # the group changed under the first walk, so it was walked again
    table = path.replace("/", "_")
    assert raw_versions(database, table) == world_versions(world, path)
    assert database.count(table) == len(world.rows(path))


def test_pacing_never_exceeds_a_compressed_limit(run_pipeline, database, world, monkeypatch):
    from simulator import Simulator

    limit, window = 5, 0.5
    with Simulator(world, email="tests@cvdw.local", token=TOKEN, requests_per_window=limit,
                   window_seconds=window) as sim:
        monkeypatch.setenv("SOURCES__CVDW__BASE_URL", sim.base_url)
        monkeypatch.setenv("SOURCES__CVDW__REQUESTS_PER_MINUTE", str(limit))
        monkeypatch.setenv("SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS", str(window))
        monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", "25")
        result = run_pipeline("--endpoints", "reservas,comissoes,unidades")
        assert result.code == 0, result.err
        statuses = Counter(r.status for r in sim.requests)
        times = sorted(r.time for r in sim.requests)
    assert statuses[429] == 0
    assert len(times) > 2 * limit
    for i in range(len(times) - limit):
        assert times[i + limit] - times[i] >= window * 0.98  # no window holds more than the limit


def test_pages_are_fetched_while_a_batch_loads(run_pipeline, database, world, simulator, monkeypatch):
    """The limit, not our loading, sets the pace: requests go on while dlt loads a batch.

    With one page a load the fetcher queues one page ahead: while the loader holds page i, page
    i + 1 waits in the queue and the fetcher asks the next. Each page is held from loading until
    that request comes, or until the fetcher offers something more without asking (the walk is
    over). Ordered by request counts, not clock times, so a slow machine cannot fail it; a
    fetcher that asked only when the loader asked would leave every hold without its request.
    """
    from pipelines.cvdw_source import Fetched, Prefetcher

    batch, put = Prefetcher.batch, Prefetcher._put
    offered: list[object] = []  # the pages (then the end) the fetcher handed the loader
    asked_at: list[int] = []  # per item offered: requests made by then
    held: list[bool] = []  # per page taken: did a further request come while it was held?

    def offering(self, item):
        asked_at.append(len(simulator.requests))
        offered.append(item)
        put(self, item)

    def hold(i: int) -> bool:
        deadline = time.monotonic() + 30  # only a broken prefetch waits this long
        while time.monotonic() < deadline:
            if len(offered) > i + 2:  # offered past the queued page: asked in between or not
                return asked_at[i + 2] > asked_at[i + 1]
            if len(offered) > i + 1 and not isinstance(offered[i + 1], Fetched):
                return False  # the walk ended: nothing more to ask
            if len(offered) > i + 1 and len(simulator.requests) > asked_at[i + 1]:
                return True
            time.sleep(0.005)
        return False

    def holding(self, pages):
        got = batch(self, pages)
        for _ in got:
            held.append(hold(len(held)))
        return got

    monkeypatch.setattr(Prefetcher, "_put", offering)
    monkeypatch.setattr(Prefetcher, "batch", holding)
    monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", "40")
    assert run_pipeline("--endpoints", "reservas", "--pages-per-load", "1").code == 0
    asked = len(simulator.requests)
    more_to_ask = [asked_at[i + 1] < asked for i in range(len(held))]
    assert more_to_ask.count(True) > 4 and held == more_to_ask, (asked, asked_at, held)
    assert raw_versions(database, "reservas") == world_versions(world, "reservas")


def test_forced_429_is_waited_out(run_pipeline, database, world, simulator):
    simulator.fail_next(count=2, kind="429")
    result = run_pipeline("--endpoints", "reservas")
    assert result.code == 0, result.err
    assert Counter(r.status for r in simulator.requests)[429] == 2
    assert raw_versions(database, "reservas") == world_versions(world, "reservas")


@pytest.mark.parametrize("kind", ["500", "503", "422", "timeout", "truncated"])
def test_transient_faults_are_retried(run_pipeline, database, world, simulator, kind):
    simulator.fail_next(count=2, kind=kind, path="reservas")
    result = run_pipeline("--endpoints", "reservas")
    assert result.code == 0, result.err
    assert raw_versions(database, "reservas") == world_versions(world, "reservas")


def test_an_outage_stops_the_run_after_one_path(run_pipeline, database, world, simulator,
                                                monkeypatch):
    """Once CVDW is found down, the other paths are not each retried for max_retry_seconds."""
    monkeypatch.setenv("SOURCES__CVDW__MAX_RETRY_SECONDS", "1")
    simulator.fail_next(count=10_000, kind="503")
    result = run_pipeline("--endpoints", "reservas,vendas,comissoes")
    assert result.code == 1
    assert {r.path for r in simulator.requests} == {"reservas"}
    assert "kept failing on 'reservas'" in result.err
    assert "vendas: not read: CVDW was down" in result.err
    assert "comissoes: not read: CVDW was down" in result.err


def test_bad_credentials_exit_non_zero_with_one_clear_line_and_no_token(
        run_pipeline, database, simulator):
    simulator.refuse_credentials = True
    result = run_pipeline()
    assert result.code == 2  # a configuration error, as cvdw-ops reports it
    error_lines = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "HTTP 401" in error_lines[0] and "token" in error_lines[0]
    assert TOKEN not in result.out + result.err


def test_forbidden_path_fails_alone(run_pipeline, database, world, simulator):
    simulator.forbidden_paths.add("repasses")
    result = run_pipeline("--endpoints", "reservas,repasses")
    assert result.code == 1
    assert "HTTP 403" in result.err and "repasses" in result.err
    assert database.count("reservas") == len(world.rows("reservas"))


def test_wrong_route_says_to_check_the_address(run_pipeline, database, simulator, monkeypatch):
    monkeypatch.setenv("SOURCES__CVDW__BASE_URL", simulator.base_url.replace("/cvdw", "/cvdx"))
    result = run_pipeline("--endpoints", "reservas")
    assert result.code == 2 and "HTTP 404" in result.err and "base_url" in result.err


def test_missing_configuration_and_unknown_endpoint_are_one_line(run_pipeline, monkeypatch):
    result = run_pipeline("--endpoints", "reservas,nao_existe")
    assert result.code == 2 and "unknown endpoint 'nao_existe'" in result.err
    for key in ("SOURCES__CVDW__BASE_URL", "SOURCES__CVDW__TOKEN"):
        monkeypatch.delenv(key)
    result = run_pipeline()
    assert result.code == 2 and "CVDW is not configured" in result.err and "make demo" in result.err


def test_zero_date_rows_load_and_never_become_the_cursor(run_pipeline, database, world, simulator):
    zero = [r for p in PATHS for r in world.rows(p) if r["referencia_data"].startswith("0000")]
    assert zero, "the world should hold zero-date rows"
    assert run_pipeline().code == 0
    world.advance(days=7)
    assert run_pipeline().code == 0  # a zero-date cursor would have been answered with 400
    sent = [r.params.get("a_partir_data_referencia", "") for r in simulator.requests]
    assert not [s for s in sent if s.startswith("0000")]
    loaded = database.scalar("select count(*) from raw.comissoes where referencia_data like '0000%'")
    assert loaded == sum(1 for r in world.rows("comissoes") if r["referencia_data"].startswith("0000"))


def test_new_field_becomes_a_column_and_misfit_values_are_kept(run_pipeline, database, world):
    assert run_pipeline("--endpoints", "reservas,unidades").code == 0
    world.add_field("reservas", "campo_novo", "valor novo")
    first = world.rows("reservas")[0]
    world.touch("reservas", first["referencia"])
    assert run_pipeline("--endpoints", "reservas").code == 0
    assert database.scalar(
        "select campo_novo from raw.reservas where referencia = %s", (str(first["referencia"]),)
    ) == "valor novo"
    # Brazilian-formatted numbers do not fit a decimal column: dlt keeps them in a variant column.
    variants = database.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' and column_name like '%%\\_\\_v\\_text'"
    )
    assert variants  # every decimal column has one declared; some must hold what did not fit
    assert any(database.scalar(f'select count(*) from raw."{table}" where "{column}" is not null')
               for table, column in variants)


def test_dry_run_shows_requests_and_loads_nothing(run_pipeline, database, world):
    result = run_pipeline("--dry-run", "--endpoints", "reservas")
    assert result.code == 0, result.err
    assert f"{len(world.rows('reservas')):,} rows" in result.out and "pagina=1" in result.out
    assert TOKEN not in result.out
    assert not database.query("select 1 from information_schema.tables where table_name = 'reservas'")


def test_full_refresh_reloads_a_path(run_pipeline, database, world):
    assert run_pipeline("--endpoints", "reservas,vendas").code == 0
    database.query("delete from raw.reservas where referencia in "
                   "(select referencia from raw.reservas limit 10)")
    assert run_pipeline("--endpoints", "reservas").code == 0
    assert database.count("reservas") == len(world.rows("reservas")) - 10  # incremental: no change
    assert run_pipeline("--endpoints", "reservas", "--full-refresh").code == 0
    assert raw_versions(database, "reservas") == world_versions(world, "reservas")
    assert database.count("vendas") == len(world.rows("vendas"))  # other paths untouched


def test_start_date_backfills_from_that_date(run_pipeline, database, world):
    start = "2026-01-01"
    assert run_pipeline("--endpoints", "reservas", "--start-date", start).code == 0
    expected = {k for k, v in world_versions(world, "reservas").items() if v >= start}
    assert set(raw_versions(database, "reservas")) == expected


@pytest.mark.slow
def test_kill_minus_9_then_rerun_loses_and_duplicates_nothing(database, world, cvdw_config):
    """A first load killed mid-way, then re-run, ends with exactly the simulator's rows."""
    env = os.environ | {"SOURCES__CVDW__PAGE_SIZE": "20", "SOURCES__CVDW__REQUESTS_PER_MINUTE": "40",
                        "SOURCES__CVDW__RATE_LIMIT_WINDOW_SECONDS": "1"}
    process = subprocess.Popen([sys.executable, "pipelines/cvdw.py", "--pages-per-load", "3"],
                               cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        loaded = database.query("select count(*) from information_schema.tables "
                                "where table_schema = 'raw' and table_name = '_dlt_loads'")
        if loaded[0][0] and database.scalar("select count(*) from raw._dlt_loads") >= 3:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the load should still be running when killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = database.scalar("select count(*) from raw.reservas")
    assert 0 < before < len(world.rows("reservas"))
    # the re-run at full speed, with larger pages: the committed cursor does not depend on them
    result = run_script(env=env | {"SOURCES__CVDW__REQUESTS_PER_MINUTE": "10000",
                                   "SOURCES__CVDW__PAGE_SIZE": "500"})
    assert result.code == 0, result.err
    assert_raw_equals_world(database, world)


def test_a_pending_package_is_finished_before_the_run_continues(run_pipeline, database, world):
    """A run that died after extracting but before loading left a package: it is not lost."""
    from pipelines import accounts, cvdw
    from pipelines.cvdw_source import Prefetcher, configure_schema, cvdw_source
    from pipelines.cvdw_source.client import CVDWClient

    account = accounts.configured()[0]
    pipeline = cvdw.make_pipeline(account)
    reservas = [e for e in ENDPOINTS if e.path == "reservas"]
    with Prefetcher(CVDWClient(cvdw.read_settings(account)), reservas, {}, {}, None, ahead=100) as prefetcher:
        source = cvdw_source(prefetcher.batch(100))
    configure_schema(source.schema)
    pipeline.extract(source, loader_file_format="csv")
    assert pipeline.has_pending_data
    assert run_pipeline("--endpoints", "reservas").code == 0
    assert not pipeline.has_pending_data
    assert raw_versions(database, "reservas") == world_versions(world, "reservas")
