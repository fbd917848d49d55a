"""The built-in schedule, for platforms without cron (a PaaS worker process).

``every`` 4 hours between 06:00 and 22:00 in a time zone becomes the times of day 06:00, 10:00,
14:00, 18:00 and 22:00, handed to APScheduler as cron triggers: APScheduler does the calendar
(time zones, daylight saving) and the waiting. A window whose end is before its start runs
across midnight (22:00-06:00 gives 22:00, 02:00, 06:00). Each run is a child process, so a run
that crashes or leaks memory never takes the worker with it.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
from collections import defaultdict
from datetime import time as TimeOfDay
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from pipelines import clock

logger = logging.getLogger("cvdw.ops")
DAY_MINUTES = 24 * 60


class ScheduleError(ValueError):
    """A schedule setting that cannot be understood; the message says the expected form."""


def parse_every(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*(h|m|min)\s*", text.lower())
    if not match or int(match[1]) == 0:
        raise ScheduleError(f"--every '{text}' is not an interval: use hours or minutes, e.g. 4h or 90m")
    amount = int(match[1])
    return timedelta(hours=amount) if match[2] == "h" else timedelta(minutes=amount)


def parse_window(text: str) -> tuple[TimeOfDay, TimeOfDay]:
    try:
        start, end = (TimeOfDay.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ScheduleError(f"--between '{text}' is not a window: use HH:MM-HH:MM, "
                            "e.g. 06:00-22:00 (22:00-06:00 runs across midnight)") from None
    return start, end


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"--timezone '{name}' is not an IANA time zone such as "
                            "America/Sao_Paulo") from None


def times_of_day(every: timedelta, start: TimeOfDay, end: TimeOfDay) -> list[TimeOfDay]:
    """The run times in one day: from ``start`` every ``every`` up to ``end`` (inclusive)."""
    step = int(every.total_seconds() // 60)
    first = start.hour * 60 + start.minute
    span = (end.hour * 60 + end.minute - first) % DAY_MINUTES or DAY_MINUTES - 1  # equal: all day
    minutes = {(first + k * step) % DAY_MINUTES for k in range(span // step + 1)}
    return [TimeOfDay(m // 60, m % 60) for m in sorted(minutes)]


def make_trigger(every: timedelta, start: TimeOfDay, end: TimeOfDay, zone: ZoneInfo) -> BaseTrigger:
    """Cron triggers for those times: one per set of hours sharing the same minutes."""
    minutes_by_hour: dict[int, list[int]] = defaultdict(list)
    for moment in times_of_day(every, start, end):
        minutes_by_hour[moment.hour].append(moment.minute)
    hours_by_minutes: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for hour, minutes in sorted(minutes_by_hour.items()):
        hours_by_minutes[tuple(minutes)].append(hour)
    triggers = [CronTrigger(hour=_listed(hours), minute=_listed(minutes), timezone=zone)
                for minutes, hours in hours_by_minutes.items()]
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def _listed(numbers) -> str:
    return ",".join(map(str, numbers))


def describe(times: list[TimeOfDay]) -> str:
    shown = [t.strftime("%H:%M") for t in times]
    if len(shown) > 8:
        return f"{', '.join(shown[:3])} ... {shown[-1]} ({len(shown)} runs a day)"
    return ", ".join(shown)


_children: set[subprocess.Popen] = set()  # the run in progress, to pass SIGTERM on


def run_once(run_args: list[str]) -> int:
    """One scheduled run: ``python -m pipelines.ops run ...`` in a child process."""
    logger.info("scheduled run starting")
    child = subprocess.Popen([sys.executable, "-m", "pipelines.ops", "run", *run_args])
    _children.add(child)
    try:
        code = child.wait()
    finally:
        _children.discard(child)
    logger.info("scheduled run ended with exit code %d", code, extra={"exit_code": code})
    return code


def stop_children(signum: int, _frame) -> None:
    """SIGTERM to the worker (a PaaS restart signals only the main process): pass it to the run
    in progress, which records itself as stopped, then stop the schedule."""
    for child in list(_children):
        child.send_signal(signal.SIGTERM)
    for child in list(_children):
        child.wait(timeout=60)
    raise SystemExit(128 + signum)


def serve(trigger: BaseTrigger, zone: ZoneInfo, run_args: list[str]) -> None:
    """Run on ``trigger`` until stopped. Runs never overlap here (one instance, missed times
    coalesce into one) nor across machines (the run lock)."""
    # APScheduler logs each job with its trigger's whole repr: ours say when runs start and end.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    scheduler = BlockingScheduler(timezone=zone)
    job = scheduler.add_job(run_once, trigger, args=[run_args], id="cvdw-run", max_instances=1,
                            coalesce=True, misfire_grace_time=15 * 60)
    # The job's next time is only known once the scheduler starts; compute it here for the log.
    upcoming = trigger.get_next_fire_time(None, clock.now().astimezone(zone))
    logger.info("schedule: next run at %s", upcoming.isoformat() if upcoming else "never",
                extra={"job": job.id})
    signal.signal(signal.SIGTERM, stop_children)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        logger.info("schedule stopped")
