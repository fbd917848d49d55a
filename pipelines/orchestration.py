"""Dagster definitions: each configured CVCRM account's load is one partition of the raw assets,
and the dbt project's models, seeds and snapshots are assets downstream of them.

    DAGSTER_HOME=$PWD/dagster_home dagster dev -m pipelines.orchestration   # the UI, port 3000

One asset per raw table (``cvdw/<table>``, the keys dagster-dbt gives dbt's sources), all
materialized by one load of the partition's account through our own loader
(``pipelines/cvdw.py --account``): its progress lives in the state committed with every batch,
which dagster-dlt's resource would drop before each run. The schedule is ``cvdw-ops
schedule``'s default (every 4 h, 06:00-22:00 São Paulo), one run per account; ``dagster_home/
dagster.yaml`` queues runs so that an account has at most one at a time and at most four run
at once. The accounts come from ``pipelines/accounts.py`` when the definitions load.

The dbt assets (dagster-dbt; dbt's tests are their asset checks) are built by ``cvdw_dbt_job``,
one ``dbt build`` of every account at once as ``cvdw-ops run`` does, which two sensors request
when the last running load ends, whether it succeeded or failed (one account failing must not
hold back the others' marts); the queue runs one dbt build at a time.
"""

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines import accounts, cvdw
from pipelines.cvdw_source.endpoints import Endpoint, select
from pipelines.ops import transform

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT_FOLDERS = ("models", "macros", "seeds", "snapshots", "data-tests", "metas")
DBT_TAG = "cvdw/dbt"  # dagster_home/dagster.yaml runs one run with it at a time
RUNNING_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                    dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]

SCHEDULE = "0 6-22/4 * * *"  # 06:00, 10:00, 14:00, 18:00 and 22:00
ZONE = "America/Sao_Paulo"


def raw_assets(partitions: dg.PartitionsDefinition, endpoints: list[Endpoint]) -> dg.AssetsDefinition:
    specs = [dg.AssetSpec(["cvdw", e.table], group_name="raw", kinds={"dlt", "postgres"},
                          description=f"CVDW's /{e.path}, in the schema raw_<conta> (raw for one account)")
             for e in endpoints]

    @dg.multi_asset(specs=specs, partitions_def=partitions, name="cvdw_load")
    def load(context: dg.AssetExecutionContext):
        """Load the partition's account: every default path, incrementally."""
        result = cvdw.load(["--account", context.partition_key])
        if result.exit_code:
            raise dg.Failure(description=f"account {context.partition_key}: {result.error}",
                             metadata={"exit_code": result.exit_code, "failure": result.failure or ""})
        for e in endpoints:
            yield dg.MaterializeResult(asset_key=["cvdw", e.table],
                                       metadata={"rows_loaded": result.rows.get(e.table, 0)})

    return load


class Translator(DagsterDbtTranslator):
    """Groups by layer (staging, intermediate, marts, seeds, snapshots): the UI's lineage reads
    raw → staging → marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        kind, fqn = dbt_resource_props["resource_type"], dbt_resource_props["fqn"]
        return fqn[1] if kind == "model" else f"{kind}s"


def dbt_project() -> DbtProject:
    """The dbt project, its manifest parsed again when older than the project's files (a fresh
    checkout, an analyst's edit): the assets are read from it."""
    if shutil.which("dbt") is None:  # dagster-dbt runs `dbt` from PATH; ours is beside this Python
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target_path=transform.target_path())
    parsed = project.manifest_path.stat().st_mtime if project.manifest_path.exists() else 0
    sources = [DBT_DIR / "dbt_project.yml", *(f for folder in DBT_FOLDERS
                                              for f in (DBT_DIR / folder).rglob("*") if f.is_file())]
    if any(f.stat().st_mtime > parsed for f in sources):
        project.preparer.prepare(project)
    return project


def transform_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=Translator(),
                name="cvdw_dbt")
    def transform(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """``dbt build`` of every configured account's raw data (staging unions them). Raw
        tables an account lacks (its loads all failed so far: a wrong token) are declared first,
        empty, so that it holds back no other account's marts."""
        declared = cvdw.load(["--declare-only"])
        if declared.exit_code:
            raise dg.Failure(description=f"declaring the raw tables: {declared.error}")
        every = accounts.dbt_vars(accounts.configured())
        yield from dbt.cli(["build", *every], context=context).stream()

    return transform


def definitions() -> dg.Definitions:
    partitions = dg.StaticPartitionsDefinition([a.name for a in accounts.configured()])
    load = raw_assets(partitions, select(None))
    project = dbt_project()
    transform = transform_assets(project)
    job = dg.define_asset_job("cvdw_load_job", selection=[load])

    @dg.schedule(job=job, cron_schedule=SCHEDULE, execution_timezone=ZONE, name="cvdw_every_4_hours")
    def every_four_hours(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.isoformat()
        for name in partitions.get_partition_keys():
            yield dg.RunRequest(run_key=f"{name}@{tick}", partition_key=name)

    dbt_job = dg.define_asset_job("cvdw_dbt_job", selection=[transform], tags={DBT_TAG: "build"})
    return dg.Definitions(assets=[load, transform], jobs=[job, dbt_job], schedules=[every_four_hours],
                          sensors=dbt_after_loads(job, dbt_job),
                          resources={"dbt": DbtCliResource(project_dir=project)})


def dbt_after_loads(load_job, dbt_job) -> list[dg.SensorDefinition]:
    """One dbt build when the last running load ends, one sensor for loads that succeeded and
    one for those that failed."""

    def request(context: dg.RunStatusSensorContext):
        running = context.instance.get_runs_count(
            dg.RunsFilter(job_name=load_job.name, statuses=RUNNING_STATUSES))
        if running:
            return dg.SkipReason(f"{running} loads still running: the last one to end starts dbt")
        return dg.RunRequest(run_key=context.dagster_run.run_id)

    return [dg.run_status_sensor(run_status=status, name=f"cvdw_dbt_after_load_{status.value.lower()}",
                                 monitored_jobs=[load_job], request_job=dbt_job,
                                 default_status=dg.DefaultSensorStatus.RUNNING)(request)
            for status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE)]


defs = definitions()
