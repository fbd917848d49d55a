"""Dagster definitions: each configured CVCRM account's load is one partition of the raw assets.

    DAGSTER_HOME=$PWD/dagster_home dagster dev -m pipelines.orchestration   # the UI, port 3000

One asset per raw table (``cvdw/<table>``, the keys dagster-dbt gives dbt's sources), all
materialized by one load of the partition's account through our own loader
(``pipelines/cvdw.py --account``): its progress lives in the state committed with every batch,
which dagster-dlt's resource would drop before each run. The schedule is ``cvdw-ops
schedule``'s default (every 4 h, 06:00-22:00 São Paulo), one run per account; ``dagster_home/
dagster.yaml`` queues runs so that an account has at most one at a time and at most four run
at once. The accounts come from ``pipelines/accounts.py`` when the definitions load.
"""

import dagster as dg

from pipelines import accounts, cvdw
from pipelines.cvdw_source.endpoints import Endpoint, select

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


def definitions() -> dg.Definitions:
    partitions = dg.StaticPartitionsDefinition([a.name for a in accounts.configured()])
    load = raw_assets(partitions, select(None))
    job = dg.define_asset_job("cvdw_load_job", selection=[load])

    @dg.schedule(job=job, cron_schedule=SCHEDULE, execution_timezone=ZONE, name="cvdw_every_4_hours")
    def every_four_hours(context: dg.ScheduleEvaluationContext):
        tick = context.scheduled_execution_time.isoformat()
        for name in partitions.get_partition_keys():
            yield dg.RunRequest(run_key=f"{name}@{tick}", partition_key=name)

    return dg.Definitions(assets=[load], jobs=[job], schedules=[every_four_hours])


defs = definitions()
