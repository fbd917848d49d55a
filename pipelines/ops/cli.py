"""cvdw-ops: run the chain once (for cron, systemd, CI), on a schedule, or show the status.

    cvdw-ops run [--endpoints reservas,vendas] [--start-date 2024-01-01] [--full-refresh]
                 [--dbt-args "--select vso+"] [--stages load,build,freshness] [--notify-success]
    cvdw-ops schedule --every 4h --between 06:00-22:00 --timezone America/Sao_Paulo [-- RUN OPTIONS]
    cvdw-ops status [--limit 10]

Every command takes ``--log-format text|json`` (or ``CVDW_LOG_FORMAT``). Exit codes of ``run``:
see ``runner.Exit`` and the README.
"""

from __future__ import annotations

import argparse
import os
import sys

from pipelines.ops import logs


def _parser() -> argparse.ArgumentParser:
    from pipelines.ops.runner import MEANING, STAGES

    codes = "; ".join(f"{int(code)} {text}" for code, text in MEANING.items())
    parser = argparse.ArgumentParser(prog="cvdw-ops", description=__doc__.split("\n")[0])
    parser.add_argument("--log-format", choices=logs.FORMATS, default=None,
                        help="text for people (default), json for one object per line")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="load, dbt build, source freshness; once",
                              description=f"Exit codes: {codes}.")
    run.add_argument("--endpoints", help="comma-separated CVDW paths (default: all)")
    run.add_argument("--start-date", help="load rows changed since this date (back-fill)")
    run.add_argument("--full-refresh", action="store_true", help="drop and reload the asked paths")
    run.add_argument("--pages-per-load", type=int, help="pages per committed load (default 20)")
    run.add_argument("--dbt-args", default="", help='extra dbt build arguments, e.g. "--select vso+"')
    run.add_argument("--stages", default=",".join(STAGES),
                     help=f"stages to run, in order (default {','.join(STAGES)})")
    run.add_argument("--notify-success", action="store_true",
                     help="send an alert with a summary on success too (or set alerts.on_success)")

    schedule = commands.add_parser("schedule", help="run on a schedule inside a time window")
    schedule.add_argument("--every", default="4h", help="interval: 4h, 90m (default 4h)")
    schedule.add_argument("--between", default="06:00-22:00",
                          help="daily window HH:MM-HH:MM, may cross midnight (default 06:00-22:00)")
    schedule.add_argument("--timezone", default="America/Sao_Paulo", help="IANA time zone")
    schedule.add_argument("run_args", nargs=argparse.REMAINDER,
                          help="after --: options for each run, e.g. -- --notify-success")

    status = commands.add_parser("status", help="last runs, the lock, freshness of raw tables")
    status.add_argument("--limit", type=int, default=10, help="how many runs to show")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    fmt = logs.configure(args.log_format)
    if args.command == "run":
        return _run(args, fmt)
    if args.command == "schedule":
        return _schedule(args)
    return _status(args)


def _run(args: argparse.Namespace, fmt: str) -> int:
    from pipelines.ops.runner import STAGES, Exit, RunOptions, run, stop_on_sigterm

    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    if not stages or any(s not in STAGES for s in stages):
        print(f"error: --stages '{args.stages}': choose among {', '.join(STAGES)}", file=sys.stderr)
        return Exit.CONFIG
    load_args = ["--log-format", fmt]
    for flag, value in (("--endpoints", args.endpoints), ("--start-date", args.start_date),
                        ("--pages-per-load", args.pages_per_load)):
        if value is not None:
            load_args += [flag, str(value)]
    if args.full_refresh:
        load_args.append("--full-refresh")
    stop_on_sigterm()
    return run(RunOptions(load_args, args.dbt_args, stages, json_logs=fmt == "json",
                          notify_success=args.notify_success))


def _schedule(args: argparse.Namespace) -> int:
    from pipelines.ops import schedule

    run_args = [a for a in args.run_args if a != "--"]
    if args.log_format:  # each scheduled run is a child process: it inherits the choice
        os.environ["CVDW_LOG_FORMAT"] = args.log_format
    try:
        every = schedule.parse_every(args.every)
        start, end = schedule.parse_window(args.between)
        zone = schedule.parse_zone(args.timezone)
    except schedule.ScheduleError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    trigger = schedule.make_trigger(every, start, end, zone)
    times = schedule.describe(schedule.times_of_day(every, start, end))
    print(f"schedule: every {args.every} between {args.between} {args.timezone}: {times}",
          file=sys.stderr)
    schedule.serve(trigger, zone, run_args)
    return 0


def _status(args: argparse.Namespace) -> int:
    from pipelines import warehouse
    from pipelines.ops import lock, status

    try:
        warehouse.ensure_running()
        warehouse.wait_until_reachable()
        conn = lock.connect()
    except Exception as error:  # noqa: BLE001 - one line, whatever the cause
        print(f"error: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        print(status.report(conn, args.limit))
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
