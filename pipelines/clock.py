"""The one clock: every "now" and "today" of the project comes from here.

The dashboard's periods and comparisons, dbt's ``as_of`` (through the same variable, see
``as_of_date`` in ``dbt_project/macros``), the run history and status of ``cvdw-ops``, and the
simulator's present all ask this module, never ``date.today()`` or ``datetime.now()``.

Business dates are São Paulo's: CVDW stamps rows in Brazil time, and a sale made at 22:00 on
the 31st belongs to that month whatever the server's time zone. Set ``CVDW_NOW`` to an ISO date
or date-time (São Paulo time unless it names an offset) to pin the clock: the tests pin it to
chosen days, and anyone can replay the dashboard as it read on a past day.

    python -m pipelines.clock        # prints the clock's now
"""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("America/Sao_Paulo")
SETTING = "CVDW_NOW"


def now() -> datetime:
    """The current moment, aware, in São Paulo time (or the pinned one)."""
    pinned = os.environ.get(SETTING, "").strip()
    if not pinned:
        return datetime.now(ZONE)
    try:
        moment = datetime.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{SETTING}={pinned!r} is not an ISO date or date-time "
                         "(such as 2026-12-01 or 2026-12-01T09:00)") from None
    return moment.replace(tzinfo=ZONE) if moment.tzinfo is None else moment.astimezone(ZONE)


def today() -> date:
    """São Paulo's date now (or on the pinned day)."""
    return now().date()


def naive_now() -> datetime:
    """São Paulo's wall-clock time without a zone, as CVDW writes ``referencia_data``."""
    return now().replace(tzinfo=None)


if __name__ == "__main__":
    print(now().isoformat())
