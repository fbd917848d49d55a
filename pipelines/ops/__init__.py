"""Operating the chain: one command for schedulers (load, dbt build, source freshness), a lock in
the warehouse so runs never overlap, run history in ``ops.runs``, alerts, logs and a schedule.

    cvdw-ops run | schedule | status        (or: python -m pipelines.ops ...)
"""

import os as _os
from pathlib import Path as _Path

# As in pipelines/cvdw.py: dlt finds the project's .dlt/ (alert settings too) from any folder.
_os.environ.setdefault("DLT_PROJECT_DIR", str(_Path(__file__).resolve().parents[2]))
_os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
