"""One run of the chain for schedulers: load, then ``dbt build``, then source freshness.

It exits 0 only when all three succeeded; otherwise the exit code says which class of failure
stopped it (``Exit``), the first failing stage stops the chain, the run is recorded in
``ops.runs`` and an alert goes out. A run that finds another one holding the warehouse's lock
exits at once with ``Exit.ALREADY_RUNNING``.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, field
from enum import IntEnum

import psycopg2

from pipelines import cvdw, warehouse
from pipelines.cvdw_source import duration
from pipelines.ops import alerts, history, lock, logs, transform
from pipelines.ops.history import RunRecord

logger = logging.getLogger("cvdw.ops")


class Exit(IntEnum):
    OK = 0
    LOAD_FAILED = 1
    CONFIG = 2
    API_UNAVAILABLE = 3
    DBT_FAILED = 4
    STALE = 5
    ALREADY_RUNNING = 6


MEANING = {
    Exit.OK: "success: loaded, built and tested, sources fresh",
    Exit.LOAD_FAILED: "load failed (a path or the warehouse failed while loading)",
    Exit.CONFIG: "configuration or credentials (settings, CVDW login or address, warehouse login)",
    Exit.API_UNAVAILABLE: "CVDW API unavailable (kept failing until max_retry_seconds)",
    Exit.DBT_FAILED: "dbt build failed (a test or a model failed)",
    Exit.STALE: "data stale (dbt source freshness past error_after)",
    Exit.ALREADY_RUNNING: "another run holds the lock on this warehouse",
}
STAGES = ("load", "build", "freshness")
# The run in progress and its stage, for the SIGTERM handler.
_active: dict = {}


@dataclass
class RunOptions:
    load_args: list[str] = field(default_factory=list)  # for pipelines/cvdw.py
    dbt_args: str = ""  # appended to dbt build, e.g. "--select vso+"
    stages: tuple[str, ...] = STAGES
    json_logs: bool = False
    notify_success: bool = False  # alert on success too (else only when alerts.on_success)


class StageFailed(Exception):
    def __init__(self, code: Exit, stage: str, error: str | None) -> None:
        super().__init__(error)
        self.code, self.stage, self.error = code, stage, error


class SomeAccountsFailed(StageFailed):
    """The load failed for some accounts only: the run goes on (the others' marts are rebuilt)
    and fails with this at its end."""


def run(options: RunOptions) -> int:
    """Run the chain once under the warehouse's lock; returns the exit code."""
    started = time.monotonic()
    record = RunRecord()
    try:
        warehouse.ensure_running()
        warehouse.wait_until_reachable()
        conn = lock.connect()
    except Exception as error:  # noqa: BLE001 - unreachable or refused: nothing is recorded
        _fail(record, StageFailed(Exit.CONFIG, "config", _one_line(error)))
        return _report(record, time.monotonic() - started, options)
    try:
        with lock.RunLock(conn):
            if _open_history(conn, record):
                _active.update(conn=conn, record=record, options=options, started=started)
                _stages(options, record)
                _active.clear()
                _close_history(conn, record)
    except lock.AlreadyRunning:
        holder = history.running_since(conn) or "started by a run that has not recorded itself yet"
        logs.say(logger, f"error: another run is in progress on {warehouse.describe()} ({holder}); "
                         f"exiting with {int(Exit.ALREADY_RUNNING)}, the next scheduled run will go on",
                 error=True, exit_code=int(Exit.ALREADY_RUNNING))
        return Exit.ALREADY_RUNNING
    finally:
        _active.clear()
        conn.close()
    return _report(record, time.monotonic() - started, options)


def _open_history(conn, record: RunRecord) -> bool:
    """Create ``ops.runs`` if needed, close rows of runs that died, record this one as running."""
    try:
        history.ensure_table(conn)
        if closed := history.close_dead_runs(conn):
            logger.warning("closed %d run(s) left 'running' by a run that died", closed)
        history.start(conn, record)
    except psycopg2.Error as error:  # mostly: the role may not create the schema ops
        _fail(record, StageFailed(Exit.CONFIG, "config", f"cannot write the run history ops.runs: "
                                  f"{_one_line(error)}; grant the loader's role create on the database"))
        return False
    logger.info("run %d started on %s", record.run_id, warehouse.describe(),
                extra={"run_id": record.run_id})
    return True


def _close_history(conn, record: RunRecord) -> None:
    try:
        history.finish(conn, record)
    except psycopg2.Error as error:  # the warehouse went away: still report and alert
        logger.warning("could not record the end of run %s: %s", record.run_id, _one_line(error))


def _stages(options: RunOptions, record: RunRecord) -> None:
    stage = options.stages[0] if options.stages else "load"
    partial: SomeAccountsFailed | None = None
    try:
        for stage in options.stages:
            _active["stage"] = stage
            try:
                {"load": _load, "build": _build, "freshness": _freshness}[stage](options, record)
            except SomeAccountsFailed as failure:
                logger.warning("%s; going on with the accounts that loaded", failure.error)
                partial = failure
        if partial:
            raise partial
        record.status, record.exit_code = "success", Exit.OK
    except StageFailed as failure:
        _fail(record, failure)
    except Exception as error:  # a bug or a surprise: still recorded, alerted, one line
        logger.debug("unexpected error", exc_info=True)
        _fail(record, _stage_failure(stage, _one_line(error)))


def _stage_failure(stage: str, error: str) -> StageFailed:
    code = Exit.LOAD_FAILED if stage == "load" else Exit.DBT_FAILED
    return StageFailed(code, "dbt" if stage == "build" else stage, error)


def stop_on_sigterm() -> None:
    """On SIGTERM (systemd stop, a PaaS restart, ``timeout``) record the run as failed, "stopped
    by SIGTERM during <stage>", alert, and exit at once. Exiting ends the session, so the lock
    goes with it; a pending load is finished by the next run. (Unwinding instead would wait for
    the loader's fetch thread to finish its paths.)"""

    settings = alerts.read_settings()

    def stop(signum: int, _frame) -> None:
        run = dict(_active)
        if "record" not in run:  # not started, or already recording its end
            os._exit(128 + signum)
        alerts.use(settings)
        stage = run.get("stage", "load")
        failure = _stage_failure(stage, f"stopped by {signal.Signals(signum).name} during {stage}")
        _fail(run["record"], failure)
        _close_history(run["conn"], run["record"])
        os._exit(_report(run["record"], time.monotonic() - run["started"], run["options"]))

    signal.signal(signal.SIGTERM, stop)


def _load(options: RunOptions, record: RunRecord) -> None:
    result = cvdw.load(options.load_args)
    record.rows_loaded = result.rows
    record.requests = result.requests
    record.rate_limit_wait_seconds = round(result.rate_limit_wait_seconds, 1)
    record.accounts = result.accounts or None
    if result.exit_code == cvdw.EXIT_OK:
        return
    failed = SomeAccountsFailed if None in result.accounts.values() else StageFailed
    if result.failure == "config":
        raise failed(Exit.CONFIG, "config", result.error)
    code = Exit.API_UNAVAILABLE if result.failure == "unavailable" else Exit.LOAD_FAILED
    raise failed(code, "load", result.error)


def _build(options: RunOptions, record: RunRecord) -> None:
    # Staging reads raw columns by name: they must exist, also for an account whose load failed.
    if "load" not in options.stages or any((record.accounts or {}).values()):
        _declare(options)
    logger.info("dbt build %s", options.dbt_args)
    outcome = transform.build(options.dbt_args, options.json_logs)
    record.tests_passed, record.tests_warned = outcome.passed, outcome.warned
    record.tests_failed = outcome.failed
    if not outcome.success:
        raise StageFailed(Exit.DBT_FAILED, "dbt", outcome.error)


def _declare(options: RunOptions) -> None:
    """The declared raw tables, created empty where missing (a build before the first load)."""
    result = cvdw.load([*options.load_args, "--declare-only"])
    if result.exit_code != cvdw.EXIT_OK:
        code = Exit.CONFIG if result.failure == "config" else Exit.DBT_FAILED
        raise StageFailed(code, "config" if code == Exit.CONFIG else "dbt", result.error)


def _freshness(options: RunOptions, record: RunRecord) -> None:
    logger.info("dbt source freshness")
    outcome = transform.freshness(options.json_logs)
    if outcome.stale:
        raise StageFailed(Exit.STALE, "freshness", outcome.error)
    if not outcome.success:  # dbt itself failed (no connection, bad project)
        raise StageFailed(Exit.DBT_FAILED, "freshness", outcome.error)


def _fail(record: RunRecord, failure: StageFailed) -> None:
    record.status, record.exit_code, record.failed_stage = "failed", failure.code, failure.stage
    record.error = alerts.redact(failure.error or MEANING[failure.code])


def _report(record: RunRecord, seconds: float, options: RunOptions) -> int:
    """The run's alert and its last log line; returns its exit code."""
    alert = alert_for(record, seconds)
    alert.always = options.notify_success
    if sent := alerts.send(alert):
        logger.info("alert sent by %s", " and ".join(sent))
    logs.say(logger, alert.subject if record.status == "success" else
             f"error: {alert.subject}: {record.error}", error=record.status != "success",
             run_id=record.run_id, status=record.status, exit_code=record.exit_code,
             failed_stage=record.failed_stage, rows_loaded=record.rows_loaded,
             requests=record.requests, tests_passed=record.tests_passed,
             tests_warned=record.tests_warned, tests_failed=record.tests_failed,
             duration_seconds=round(seconds, 1))
    return int(record.exit_code)


def alert_for(record: RunRecord, seconds: float) -> alerts.Alert:
    """The alert's subject and text: what happened, the numbers, where; never a secret."""
    run = f"run {record.run_id}" if record.run_id else "run"
    took = duration(seconds)
    rows = sum(record.rows_loaded.values())
    lines = []
    if record.status == "success":
        subject = f"cvdw-elt {run} succeeded in {took}"
    else:
        code = Exit(record.exit_code)
        subject = (f"cvdw-elt {run} FAILED: {MEANING[code].split(' (')[0]} "
                   f"(exit {int(code)}, stage {record.failed_stage})")
        lines.append(f"Error: {record.error}")
    if record.rows_loaded:
        per_table = ", ".join(f"{table} {count:,}" for table, count in record.rows_loaded.items())
        lines.append(f"Rows loaded: {rows:,} ({per_table})")
    if record.requests is not None:
        lines.append(f"CVDW requests: {record.requests}, {record.rate_limit_wait_seconds or 0:.1f} s "
                     "waiting on the rate limit")
    if record.tests_passed is not None:
        lines.append(f"dbt tests: {record.tests_passed} passed, {record.tests_warned} warned, "
                     f"{record.tests_failed} failed")
    lines.append(f"Duration: {took}. Warehouse: {warehouse.describe()}")
    return alerts.Alert(subject, "\n".join(lines), failed=record.status != "success")


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
