"""The dbt stages of a run: ``dbt build`` and ``dbt source freshness``, in this process.

dbt runs through its programmatic entry point (``dbtRunner``): the results come back as objects,
so test counts and stale sources are read from them rather than from printed text. Artifacts
(``run_results.json``, and ``freshness_by_conta.json`` with every account's ``sources.json``) go
where the dashboard's Dados page reads them: ``DBT_TARGET_PATH`` when set, else
``dbt_project/target``. Runs on one warehouse never overlap (the run lock); give each warehouse
served from one checkout its own ``DBT_TARGET_PATH``.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import accounts

logger = logging.getLogger("cvdw.ops")
PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT_DIR = PROJECT_DIR / "dbt_project"
TEST_TYPES = {"test", "unit_test"}
# Every account's ``sources.json`` (each in its own folder), by account, in one file for the page.
FRESHNESS_BY_CONTA = "freshness_by_conta.json"


@dataclass
class DbtOutcome:
    success: bool
    passed: int = 0
    warned: int = 0
    failed: int = 0
    error: str | None = None  # the first failure, on one line
    stale: list[str] = field(default_factory=list)  # sources past error_after (freshness)
    empty: list[str] = field(default_factory=list)  # sources without a row yet: no age, not stale


def target_path() -> str:
    return os.environ.get("DBT_TARGET_PATH") or str(DBT_DIR / "target")


def _invoke(args: list[str], json_logs: bool, target: str | None = None):
    from dbt.cli.main import dbtRunner

    target = target or target_path()
    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
              "--target-path", target, "--log-path", str(Path(target) / "logs"), "--no-use-colors"]
    if json_logs:
        common += ["--log-format", "json"]
    return dbtRunner().invoke([*args, *common])


def build(extra_args: str = "", json_logs: bool = False) -> DbtOutcome:
    """``dbt build`` (models, seeds, tests, unit tests) of every configured account's raw data;
    ``extra_args`` such as ``--select vso+`` (a ``--vars`` there replaces the accounts')."""
    every = accounts.dbt_vars(accounts.configured())
    result = _invoke(["build", *every, *shlex.split(extra_args)], json_logs)
    outcome = DbtOutcome(success=result.success)
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        if node_result.node.resource_type in TEST_TYPES:
            outcome.passed += status == "pass"
            outcome.warned += status == "warn"
            outcome.failed += status in ("fail", "error")
        if status in ("fail", "error") and outcome.error is None:
            message = _one_line(node_result.message) or status
            outcome.error = f"dbt build: {node_result.node.name}: {message}"
    if not result.success and outcome.error is None:
        outcome.error = f"dbt build: {_one_line(str(result.exception)) or 'failed'}"
    return outcome


def freshness(json_logs: bool = False) -> DbtOutcome:
    """``dbt source freshness`` of each account's raw tables: unsuccessful when one is past its
    ``error_after``. Each account is one invocation (the source reads one schema), in a target
    folder of its own (``freshness/<conta>``): its vars never change there, so dbt parses the
    project again only when the project changes."""
    configured = accounts.configured()
    outcome, failure, checked = DbtOutcome(success=True), None, {}
    target = Path(target_path())
    for account in configured:
        folder = target / "freshness" / account.name
        (folder / "sources.json").unlink(missing_ok=True)  # never read the run before's
        result = _invoke(["source", "freshness", *accounts.dbt_vars([account])], json_logs, str(folder))
        empty = _stale(result, outcome, f"{account.name}: " if len(configured) > 1 else "")
        if not result.success and not empty:  # dbt also fails on empty tables alone
            outcome.success = False
            failure = failure or _one_line(str(result.exception))
        try:
            checked[account.name] = json.loads((folder / "sources.json").read_text())
        except (OSError, ValueError):  # dbt failed before writing it: that account has no line
            pass
    (target / FRESHNESS_BY_CONTA).write_text(json.dumps(checked))
    if outcome.empty:  # a path this account does not use, or has had nothing in yet
        logger.info("sources without rows yet (not stale): %s", ", ".join(outcome.empty))
    if outcome.stale:
        outcome.error = f"stale sources: {', '.join(outcome.stale)}"
    elif not outcome.success:
        outcome.error = f"dbt source freshness: {failure or 'failed'}"
    return outcome


def _stale(result, outcome: DbtOutcome, prefix: str) -> bool:
    """Add the sources past ``error_after`` to ``outcome.stale``, and those without a row to
    ``outcome.empty``; whether every error was an empty table."""
    only_empty, empties = True, 0
    for source_result in getattr(result.result, "results", None) or []:
        status = str(source_result.status)
        if status in ("error", "runtime error"):
            node = source_result.node
            name = f"{prefix}{node.source_name}.{node.name}"
            if getattr(source_result, "max_loaded_at", None) and source_result.max_loaded_at.year == 1:
                outcome.empty.append(name)  # dbt's moment for a table with no row: no age to judge
                empties += 1
                continue
            only_empty = False
            age = getattr(source_result, "age", None)
            message = getattr(source_result, "message", None) or ""
            if age is not None:
                detail = f"last loaded {age / 86400:.1f} days ago"
            elif "does not exist" in message:  # a raw table no load has created yet
                detail = "not loaded yet"
            else:
                detail = _one_line(message) or "no load found"
            outcome.stale.append(f"{name} ({detail})")
    return only_empty and empties > 0


def _one_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else ""
