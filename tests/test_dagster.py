"""The Dagster definitions (pipelines/orchestration.py) on a real in-process instance: one
partition per configured account, each materialization loading that account's raw schema; one
account with wrong credentials fails its partition alone; the dbt assets build every account,
whose marts each equal values computed from its own world; the schedule asks one run per account
at cvdw-ops's default times."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from apscheduler.triggers.cron import CronTrigger

from pipelines import orchestration
from pipelines.cvdw_source.endpoints import ENDPOINTS
from pipelines.ops.schedule import make_trigger, parse_every, parse_window
from simulator.world import from_ts

from .builder import AccountView
from .conftest import LIMIT, PROJECT_DIR, WINDOW, Database
from .expected_funnel import check_funnel_marts
from .test_accounts import assert_dataset_equals_world, busiest_window
from .test_dbt import check_marts

# One account's raw assets materialized by Dagster's CLI, as an operator would (the partition last)
MATERIALIZE = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize", "-m",
               "pipelines.orchestration", "--select", "group:raw", "--partition"]


def test_accounts_are_partitions_materialized_in_parallel_runs_each_within_its_limit(
        database: Database, served, monkeypatch, tmp_path):
    """Three `dagster asset materialize` runs at once, one per account, on one instance: each
    account's raw schema equals its world, no server saw more than its own allowance, the runs
    overlapped; beta, with a wrong token, fails alone, its run naming it and its credentials."""
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__BETA__TOKEN", "not-betas-token")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    load = orchestration.definitions().resolve_assets_def(dg.AssetKey(["cvdw", "reservas"]))
    assert load.partitions_def.get_partition_keys() == ["alfa", "beta", "gama"]
    assert dg.AssetKey(["cvdw", "leads_historico_situacoes"]) in load.keys
    dg.DagsterInstance.get().dispose()  # the instance's storage exists before its runs, as deployed
    runs = {name: subprocess.Popen([*MATERIALIZE, name], cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
            for name in ("alfa", "beta", "gama")}
    errors = {name: run.communicate(timeout=300)[1] for name, run in runs.items()}
    assert {name: run.returncode == 0 for name, run in runs.items()} == {
        "alfa": True, "beta": False, "gama": True}, errors["alfa"][-2000:]
    for name in ("alfa", "gama"):
        sim = served[name]
        assert_dataset_equals_world(database, f"raw_{name}", sim.world)
        assert busiest_window([r.time for r in sim.requests], WINDOW) <= LIMIT
        assert not [r for r in sim.requests if r.status == 429]
    spans = [(min(r.time for r in served[n].requests), max(r.time for r in served[n].requests))
             for n in ("alfa", "gama")]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # loading at once
    with dg.DagsterInstance.get() as instance:
        assert instance.get_materialized_partitions(dg.AssetKey(["cvdw", "reservas"])) == {"alfa", "gama"}
        (failed,) = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
        assert failed.tags["dagster/partition"] == "beta"
        failure = next(e for e in instance.all_logs(failed.run_id) if e.is_dagster_event
                       and e.dagster_event.is_step_failure)
        message = str(failure.dagster_event.event_specific_data.error)
        assert "account beta" in message and "credentials" in message and "not-betas-token" not in message
        (alfa,) = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": "alfa"}))
        rows = [e.asset_materialization for e in instance.all_logs(alfa.run_id)
                if e.is_dagster_event and e.dagster_event.is_step_materialization]
    loaded = {m.asset_key.path[-1]: m.metadata["rows_loaded"].value for m in rows}
    assert loaded["reservas"] == len(served["alfa"].world.rows("reservas"))


def test_the_dbt_assets_build_every_account_and_each_accounts_marts_equal_its_world(
        database: Database, served, monkeypatch):
    """Three accounts loaded by their partitions, beta's failing (a wrong token, never loaded),
    then the dbt assets (downstream of every raw table, dbt's tests as their checks) build them
    at once: beta holds back no one, and each other account's marts equal what its own world
    gives, as a build of that account alone would (tests/test_dbt.py's expectations)."""
    monkeypatch.setenv("CVDW_NOW", from_ts(served["alfa"].world.now).isoformat())
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__BETA__TOKEN", "not-betas-token")
    defs = orchestration.definitions()
    load = defs.resolve_assets_def(dg.AssetKey(["cvdw", "reservas"]))
    transform = defs.resolve_assets_def(dg.AssetKey(["marts", "vendas"]))
    staging = dg.AssetKey(["staging", "stg_cvdw__reservas"])
    assert dg.AssetKey(["cvdw", "reservas"]) in transform.asset_deps[staging]  # raw → staging
    instance = dg.DagsterInstance.ephemeral()
    loads = {name: dg.materialize([load], instance=instance, partition_key=name, raise_on_error=False)
             for name in ("alfa", "beta", "gama")}
    assert [n for n, r in loads.items() if not r.success] == ["beta"]
    after_success = defs.get_sensor_def("cvdw_dbt_after_load_success")
    request = after_success(dg.build_run_status_sensor_context(
        sensor_name=after_success.name, dagster_instance=instance, dagster_run=loads["gama"].dagster_run,
        dagster_event=loads["gama"].get_run_success_event()))
    assert isinstance(request, dg.RunRequest)  # the last load ended: build
    still = dg.DagsterRun(job_name="cvdw_load_job", run_id="a-load-still-running",
                          status=dg.DagsterRunStatus.STARTED)
    instance.add_run(still)
    waiting = after_success(dg.build_run_status_sensor_context(
        sensor_name=after_success.name, dagster_instance=instance, dagster_run=loads["gama"].dagster_run,
        dagster_event=loads["gama"].get_run_success_event()))
    assert isinstance(waiting, dg.SkipReason) and "1 loads still running" in waiting.skip_message
    instance.delete_run(still.run_id)
    built = defs.resolve_job_def("cvdw_dbt_job").execute_in_process(instance=instance)  # what the sensor asks
    assert built.success
    checks = built.get_asset_check_evaluations()
    assert len(checks) > 100
    assert not [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR]
    contas = database.query("select conta, count(*) from marts.vendas group by conta order by conta")
    assert [c for c, _ in contas] == ["alfa", "gama"]
    assert not database.query("select 1 from raw_beta.reservas")  # declared, empty
    for name in ("alfa", "gama"):
        assert served[name].world.now == served["alfa"].world.now  # one as_of for the build
        account = AccountView(served[name].world, name)
        account.create_views()
        check_marts(account)
        check_funnel_marts(account)


def fire_times(trigger, start: datetime, n: int) -> list[datetime]:
    times, previous = [], None
    for _ in range(n):
        previous = trigger.get_next_fire_time(previous, previous or start)
        times.append(previous)
    return times


def test_the_schedule_asks_one_run_per_account_at_cvdw_ops_times(served):
    """The same times as `cvdw-ops schedule`'s defaults (--every 4h --between 06:00-22:00, São
    Paulo), over two days, and one run request per account at each."""
    zone = ZoneInfo("America/Sao_Paulo")
    defs = orchestration.definitions()
    schedule = defs.resolve_schedule_def("cvdw_every_4_hours")
    ops = make_trigger(parse_every("4h"), *parse_window("06:00-22:00"), zone)
    dagster_times = CronTrigger.from_crontab(schedule.cron_schedule, timezone=schedule.execution_timezone)
    start = datetime(2026, 12, 1, 0, 0, tzinfo=zone)
    assert fire_times(dagster_times, start, 10) == fire_times(ops, start, 10)
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 10, tzinfo=zone),
                                        repository_def=defs.get_repository_def())
    requests = list(schedule.evaluate_tick(context).run_requests)
    assert sorted(r.partition_key for r in requests) == ["alfa", "beta", "gama"]


def test_the_instance_queues_one_run_per_account_one_dbt_build_and_four_at_most(tmp_path, monkeypatch):
    """dagster_home/dagster.yaml, as `dagster dev` and the daemon read it."""
    (tmp_path / "dagster.yaml").write_text((PROJECT_DIR / "dagster_home/dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        queue = instance.run_coordinator.get_run_queue_config()
    assert queue.max_concurrent_runs == 4
    assert queue.tag_concurrency_limits == [
        {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
        {"key": orchestration.DBT_TAG, "limit": 1}]


def test_a_run_killed_with_kill_9_resumes_with_nothing_lost_or_duplicated(
        database: Database, served, monkeypatch, tmp_path):
    """`dagster asset materialize` of one account, killed (the whole process group, its step
    process included) after a few committed loads; materialized again, the account's raw schema
    holds exactly its world."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SOURCES__CVDW__PAGE_SIZE", "20")  # many commits
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__ALFA__REQUESTS_PER_MINUTE", "10")  # slow enough to kill
    process = subprocess.Popen([*MATERIALIZE, "alfa"], cwd=PROJECT_DIR, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if database.query("select 1 from information_schema.tables where table_schema = 'raw_alfa'"
                              " and table_name = '_dlt_loads'") and database.scalar(
                    "select count(*) from raw_alfa._dlt_loads") >= 2:
                break
            time.sleep(0.2)
        assert process.poll() is None, "the run should still be loading when killed"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    world = served["alfa"].world
    loaded = sum(database.count(e.table, "raw_alfa") for e in ENDPOINTS)
    assert 0 < loaded < sum(len(world.rows(e.path)) for e in ENDPOINTS)  # really killed mid-way
    monkeypatch.setenv("SOURCES__CVDW__ACCOUNTS__ALFA__REQUESTS_PER_MINUTE", "40")
    load = orchestration.definitions().resolve_assets_def(dg.AssetKey(["cvdw", "reservas"]))
    assert dg.materialize([load], instance=dg.DagsterInstance.get(), partition_key="alfa").success
    assert_dataset_equals_world(database, "raw_alfa", world)
