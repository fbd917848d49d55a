"""A long first load says when it will end: rows left per path and in total, and the expected end
at the API's pace, from the first pages of every path (asked once, before any walk)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from pipelines.cvdw_source import PathProgress, duration, expected_end, rows_left, total_line
from pipelines.cvdw_source.client import Settings
from simulator import PATHS

from .conftest import PAGE_SIZE

PATH_LINE = re.compile(r"^\S+ (\S+): ([\d,]+) of ([\d,]+) rows \(([\d,]+) left, about [^)]+ at "
                       r"the API's pace\), \d+ requests?", re.MULTILINE)
TOTAL_LINE = re.compile(r"^\S+ all paths: ([\d,]+) rows left of ([\d,]+); expected end (\S+) "
                        r"\(São Paulo\) at ([\d,]+) rows/min$", re.MULTILINE)


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CVDW_NOW", "2026-11-18T10:00:00")


def cvdw_pace() -> float:
    """Real CVDW's allowance: 20 requests of 500 rows a minute."""
    return Settings("https://x.cvcrm.com.br/api/v1/cvdw", "e", "t").rows_per_second


def test_the_allowance_is_full_pages_at_the_limit():
    assert cvdw_pace() * 60 == 10_000
    compressed = Settings("u", "e", "t", requests_per_minute=5, page_size=25,
                          rate_limit_window_seconds=0.5)
    assert compressed.rows_per_second == 250


def test_rows_left_never_below_zero_and_none_once_done():
    assert PathProgress("reservas", total_rows=50_000, rows=12_000).left == 38_000
    assert PathProgress("reservas", total_rows=100, rows=130).left == 0  # rows arrived meanwhile
    assert PathProgress("reservas", total_rows=100, rows=60, complete=True).left == 0
    assert PathProgress("reservas", total_rows=100, rows=60, error="HTTP 503").left == 0
    assert PathProgress("reservas").left is None  # not asked yet


def test_durations_read_as_seconds_minutes_or_hours():
    assert duration(0) == "0 s"
    assert duration(45.4) == "45 s"
    assert duration(38_000 / cvdw_pace()) == "3 min 48 s"
    assert duration(2 * 3600 + 5 * 60 + 20) == "2 h 05 min"


def test_the_path_line_says_rows_left_and_how_long_they_take():
    line = PathProgress("reservas", requests=24, total_rows=50_000, rows=12_000).line(12.0, cvdw_pace())
    assert line.startswith("reservas: 12,000 of 50,000 rows (38,000 left, about 3 min 48 s at the "
                           "API's pace), 24 requests, ")
    assert line.endswith(", 12.0 s waiting on the rate limit")


def test_the_expected_end_is_sao_paulo_time_with_the_date_when_not_today(pinned):
    assert expected_end(228) == "10:03"
    assert expected_end(13 * 3600 + 59 * 60) == "23:59"
    assert expected_end(14 * 3600 + 30 * 60) == "2026-11-19 00:30"


def test_the_total_adds_the_asked_paths(pinned):
    progress = [PathProgress("reservas", total_rows=50_000, rows=12_000),
                PathProgress("vendas", total_rows=160_000, rows=78_000),
                PathProgress("distratos", total_rows=9, rows=9, complete=True),
                PathProgress("repasses", error="HTTP 403")]  # never asked: no total
    assert rows_left(progress) == (120_000, 210_009)
    assert total_line(progress, cvdw_pace()) == (
        "all paths: 120,000 rows left of 210,009; expected end 10:12 (São Paulo) at 10,000 rows/min")


def test_a_load_logs_rows_left_per_path_and_in_total(run_pipeline, world, simulator):
    result = run_pipeline("--pages-per-load", "10")
    assert result.code == 0, result.err
    waiting = {path: len(world.rows(path)) for path in PATHS}  # counted by the simulator's world
    done: dict[str, int] = {}
    pages = totals = 0
    for line in result.err.splitlines():
        if match := PATH_LINE.match(line):
            path, rows, of, left = match[1], *map(number, match.groups()[1:])
            if path not in done:  # its first page: everything but that page is left
                assert rows == min(PAGE_SIZE, waiting[path]), line
                assert (of, left) == (waiting[path], waiting[path] - rows), line
            done[path] = rows
            pages += 1
        elif match := TOTAL_LINE.match(line):
            left, of, end, per_minute = match.groups()
            assert number(of) == sum(waiting.values()), line
            assert number(left) == sum(waiting.values()) - sum(done.values()), line
            assert end == "10:00" and number(per_minute) == 10_000 * PAGE_SIZE * 60, line
            totals += 1
    assert done == waiting  # every path logged, up to all its rows
    assert totals == 1 + pages // 10  # once all first pages came, then once a batch of pages

    simulator.reset_log()
    idle = run_pipeline()
    assert idle.code == 0, idle.err
    assert Counter(r.path for r in simulator.requests) == Counter({path: 1 for path in PATHS})
    assert [m[:2] for m in TOTAL_LINE.findall(idle.err)] == [("0", "0")]  # nothing waits
