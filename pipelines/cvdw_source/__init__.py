"""dlt source for CVDW, the data-warehouse API of CVCRM.

API facts come from ``shared/cvdw-api.md`` (what CVCRM documents and what real responses showed);
the paths we load are declared as data in ``endpoints.py``.

How a path is read, and why no row is lost
------------------------------------------
CVDW returns rows in ascending ``referencia_data`` (the moment a row last changed), ties
included, and an edited row moves to the end of that order. Walking page numbers therefore
skips a row whenever an earlier one is edited mid-sync. We move forward by value instead:

1. Ask for page 1 from the cursor, the newest ``referencia_data`` already received (the filter
   is inclusive). Emit the rows, then move the cursor to the newest ``referencia_data`` on the
   page and ask for page 1 again. Rows tied at the cursor come back; those already emitted are
   recognised by ``referencia`` (kept in state as ``seen``) and skipped. An edited row only
   moves ahead of the cursor, where this walk or the next run meets it.
2. Only a tie group larger than a page cannot be passed this way. It is walked by page number,
   bounded above and below by its one timestamp (``a_partir`` = ``ate`` = that moment). Edits
   can only take rows out of the group, so the walk is complete when the group's
   ``total_de_registros`` did not change while we walked; otherwise it is walked again. Then
   the cursor moves one second (the filter's resolution) past the group.
3. The walk ends at the page that holds everything left (``total_de_paginas`` <= 1).

The cost is bounded: each page repeats only the rows tied at its last timestamp, and a run with
nothing new makes exactly one request per path. Zero dates (``0000-00-00 00:00:00``) sort
first and are never used as a cursor (CVDW answers 400 to them); only a first load can meet
them, and a page made only of them is passed by page number.

Pace: the rate limit, not our processing, must set the speed. A ``Prefetcher`` thread first
asks page 1 of every asked path, so the rows waiting everywhere, and when the load should end
at the API's pace, are known from the start; it keeps those pages, so this costs no request.
It then walks the paths one after the other from their kept pages into a bounded queue while
dlt normalizes and loads the batch before, so the waits of the limit hide the loading.

Durability: every fetched page carries a copy of its path's state (cursor and ``seen``) as it
stands after that page. When the loader replays the page into dlt, that copy becomes the
resource state, which dlt commits in the destination together with the rows of the same load
package. The runner (``pipelines/cvdw.py``) loads ``pages_per_load`` pages at a time, so a crash
costs at most that many pages plus the ones fetched ahead, and a re-run finishes any pending
package first. Rows merge on ``referencia``, newest ``referencia_data`` first, so nothing is
duplicated and edits and soft deletes (``ativo = "N"``) replace the row.
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from pipelines import clock

from . import catalogue
from .client import CVDWClient, CVDWError, CVDWUnavailable, FatalCVDWError, Page
from .endpoints import DECIMAL_COLUMNS, ENDPOINTS, Endpoint
from .personal import Privacy

logger = logging.getLogger("cvdw")

__all__ = ["cvdw_source", "Prefetcher", "PathProgress", "ENDPOINTS", "Endpoint"]


@dataclass
class PathProgress:
    """What one path did in this process: shown while running and in the summary."""

    path: str
    requests: int = 0  # tie groups and re-reads at the cursor make more requests than pages
    # Rows waiting when the path was first asked: CVDW's count from the cursor, less the rows
    # on that first page that an earlier run already received (tied at the cursor).
    total_rows: int | None = None
    rows: int = 0
    complete: bool = False
    error: str | None = None
    unavailable: bool = False  # failed because CVDW was down, not because of this path
    started: float = field(default_factory=time.monotonic)

    @property
    def left(self) -> int | None:
        """Rows this run still expects to read here (None before the path was asked).

        Rows can arrive or be edited while we read, so more than the total can be emitted:
        never below 0. A complete or failed path has nothing left to read in this run.
        """
        if self.total_rows is None:
            return None
        if self.complete or self.error:
            return 0
        return max(0, self.total_rows - self.rows)

    def line(self, rate_limit_wait: float, rows_per_second: float) -> str:
        left = self.left
        done = f"{self.rows:,} rows" if left is None else (
            f"{self.rows:,} of {self.total_rows:,} rows ({left:,} left, about "
            f"{duration(left / rows_per_second)} at the API's pace)")
        return (f"{self.path}: {done}, {self.requests} request{'s' * (self.requests != 1)}, "
                f"{time.monotonic() - self.started:.1f} s, {rate_limit_wait:.1f} s waiting on "
                "the rate limit")


def duration(seconds: float) -> str:
    """``45 s``, ``3 min 48 s``, ``2 h 05 min``: a first load takes hours, a retry seconds."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def expected_end(seconds: float, now: datetime | None = None) -> str:
    """The wall-clock time, in São Paulo, ``seconds`` from now; with the date if not today."""
    now = (now or clock.now()).astimezone(clock.ZONE)
    end = now + timedelta(seconds=seconds)
    return end.strftime("%H:%M" if end.date() == now.date() else "%Y-%m-%d %H:%M")


def rows_left(progress: Iterable[PathProgress]) -> tuple[int, int]:
    """Rows left and rows waiting at the start, over the paths asked so far."""
    asked = [p for p in progress if p.total_rows is not None]
    return sum(p.left or 0 for p in asked), sum(p.total_rows or 0 for p in asked)


def total_line(progress: Iterable[PathProgress], rows_per_second: float,
               now: datetime | None = None) -> str:
    """All asked paths at once: what is left, and when the load should end at the API's pace."""
    left, total = rows_left(progress)
    return (f"all paths: {left:,} rows left of {total:,}; expected end "
            f"{expected_end(left / rows_per_second, now)} (São Paulo) at "
            f"{rows_per_second * 60:,.0f} rows/min")


def is_date(value: Any) -> bool:
    """A real ``referencia_data``: not null, not empty, not a zero date."""
    return isinstance(value, str) and len(value) >= 10 and not value.startswith("0000")


class PathReader:
    """Reads one path from the cursor in its resource state, as the module docstring explains."""

    def __init__(self, client: CVDWClient, endpoint: Endpoint, state: dict[str, Any],
                 progress: PathProgress, start_date: str | None) -> None:
        self.client = client
        self.endpoint = endpoint
        self.state = state
        self.progress = progress
        self.first: Page | None = None  # page 1 from the cursor, asked ahead by ``ask``
        if start_date:
            self.state["cursor"] = start_date
            self.state["seen"] = []

    @property
    def cursor(self) -> str | None:
        return self.state.get("cursor")

    def _advance(self, rows: list[dict[str, Any]]) -> None:
        """Move the cursor to the newest date on the page and remember the rows tied there."""
        dates = [r.get("referencia_data") for r in rows if is_date(r.get("referencia_data"))]
        if not dates:
            return
        newest = max(dates)
        seen = set(self.state.get("seen", [])) if newest == self.cursor else set()
        seen.update(str(r["referencia"]) for r in rows if r.get("referencia_data") == newest)
        self.state["cursor"] = newest
        self.state["seen"] = sorted(seen)

    def _fresh(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows not already emitted: those tied at the cursor and listed in ``seen`` are skipped."""
        seen = set(self.state.get("seen", []))
        return [
            r for r in rows
            if not (r.get("referencia_data") == self.cursor and str(r.get("referencia")) in seen)
        ]

    def _get(self, pagina: int = 1, since: str | None = None, until: str | None = None) -> Page:
        page = self.client.get_page(self.endpoint.path, pagina, since=since, until=until)
        self.progress.requests += 1
        return page

    def ask(self) -> None:
        """Ask page 1 from the cursor, keep it for the walk, and count the rows waiting."""
        self.first = self._get(since=self.cursor)
        received = len(self.first.rows) - len(self._fresh(self.first.rows))
        self.progress.total_rows = self.first.total_rows - received

    def _page_one(self) -> Page:
        """Page 1 from the cursor: the kept one first, so asking ahead costs no request."""
        page, self.first = self.first, None
        return page if page is not None else self._get(since=self.cursor)

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        if self.progress.total_rows is None:  # not asked ahead
            self.ask()
        while not self.progress.complete:
            page = self._page_one()
            dates = [r["referencia_data"] for r in page.rows if is_date(r.get("referencia_data"))]
            if page.rows and not dates:
                # Only a first load sees a page made only of zero dates: pass them by number.
                yield from self._walk_without_cursor(page)
            elif page.total_pages > 1 and self.client.same_bound(max(dates), self.cursor):
                # The whole page is tied at the cursor: a tie group larger than a page.
                yield from self._walk_tie_group(max(dates))
            else:
                fresh = self._fresh(page.rows)
                if fresh:
                    self.progress.rows += len(fresh)
                    yield fresh
                self._advance(page.rows)
                self.progress.complete = page.total_pages <= 1

    def _walk_tie_group(self, moment: str) -> Iterator[list[dict[str, Any]]]:
        """Every row stamped exactly ``moment``, by page number, until a walk saw no change.

        Pages are handed on as they come (a group can be a whole import, larger than memory
        should hold); a walk that saw the group change is repeated, skipping what was emitted.
        """
        emitted = set(self.state.get("seen", [])) if self.cursor == moment else set()
        for _ in range(5):
            first = page = self._get(1, since=moment, until=moment)
            for pagina in range(1, first.total_pages + 1):
                if pagina > 1:
                    page = self._get(pagina, since=moment, until=moment)
                rows = [r for r in page.rows if str(r["referencia"]) not in emitted]
                emitted.update(str(r["referencia"]) for r in rows)
                if rows:
                    self.progress.rows += len(rows)
                    yield rows
            if page.total_rows == first.total_rows:  # stable: nothing left the group meanwhile
                self.state["cursor"] = self.client.next_bound(moment)
                self.state["seen"] = []
                return
        raise CVDWError(
            f"rows stamped {moment} on '{self.endpoint.path}' kept changing while being read; "
            "run again later"
        )

    def _walk_without_cursor(self, first: Page) -> Iterator[list[dict[str, Any]]]:
        """First load only: pass leading zero-date rows by page number until a real date."""
        page = first
        while True:
            self.progress.rows += len(page.rows)
            yield page.rows
            last_page = page.pagina >= page.total_pages
            if last_page or any(is_date(r.get("referencia_data")) for r in page.rows):
                self._advance(page.rows)
                self.progress.complete = last_page
                return
            page = self._get(page.pagina + 1)


@dataclass
class Fetched:
    """One page of rows, and its path's state as it stands once these rows are loaded."""

    endpoint: Endpoint
    rows: list[dict[str, Any]]
    state: dict[str, Any]


_DONE = object()


class Prefetcher:
    """Fetches the paths one after the other in a thread, ``ahead`` pages ahead of the loader.

    It first asks page 1 of every path and keeps it for that path's walk, so the rows waiting
    in all of them are known (and logged, with the expected end) before the first walk, for no
    extra request. ``states`` are the paths' resource states as committed in the destination
    (by table). A path that fails (403, say), on its first page or later, records its error
    and the next path goes on. Once one path found CVDW down, the others are not tried (each
    would wait ``max_retry_seconds`` in turn) and are recorded as unavailable too. A
    ``FatalCVDWError`` (bad credentials) stops everything and is raised to the loader.
    """

    def __init__(self, client: CVDWClient, endpoints: list[Endpoint],
                 states: dict[str, dict[str, Any]], progress: dict[str, PathProgress],
                 start_date: str | None, ahead: int) -> None:
        self.client, self.endpoints, self.states = client, endpoints, states
        self.progress, self.start_date = progress, start_date
        self.queue: queue.Queue = queue.Queue(maxsize=ahead)
        self.stopping = threading.Event()
        self.done = False
        self.outage: str | None = None  # the path on which CVDW was found down
        self.every, self.pages = ahead, 0  # all paths' line every ``ahead`` pages: one a batch
        self.thread = threading.Thread(target=self._fetch, name="cvdw-prefetch", daemon=True)

    def __enter__(self) -> Prefetcher:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        while self.thread.is_alive():  # unblock a thread waiting for room in the queue
            try:
                self.queue.get(timeout=0.1)
            except queue.Empty:
                pass

    def _fetch(self) -> None:
        try:
            readers: list[PathReader | None] = []
            for endpoint in self.endpoints:  # every first page before any walk: all totals known
                if self.stopping.is_set():  # the loader gave up: fetch nothing more
                    return
                readers.append(self._open(endpoint))
            self._log_total()
            for reader in readers:
                self._fetch_path(reader)
            self._put(_DONE)
        except BaseException as error:  # handed to the loader, which raises it
            self._put(error)

    def _open(self, endpoint: Endpoint) -> PathReader | None:
        """The path's reader with its first page asked, or None when CVDW was already down."""
        progress = self.progress.setdefault(endpoint.path, PathProgress(endpoint.path))
        if self._skipped(progress):
            return None
        state = copy.deepcopy(self.states.get(endpoint.table, {}))
        reader = PathReader(self.client, endpoint, state, progress, self.start_date)
        with self._recording(reader):
            reader.ask()
        return reader

    def _skipped(self, progress: PathProgress) -> bool:
        """Whether CVDW was found down before this path was read (then it is not tried)."""
        if not self.outage or progress.error:
            return False
        progress.error = f"not read: CVDW was down (it kept failing on '{self.outage}')"
        progress.unavailable = True
        return True

    @contextmanager
    def _recording(self, reader: PathReader) -> Iterator[None]:
        """Record a path's failure on its progress, alike for its first page and its walk."""
        try:
            yield
        except FatalCVDWError:
            raise
        except CVDWError as error:
            # One path failing must not stop the others; its state keeps the cursor of what
            # was fetched, so the next run resumes there.
            reader.progress.error = str(error)
            if isinstance(error, CVDWUnavailable):
                reader.progress.unavailable, self.outage = True, reader.endpoint.path

    def _fetch_path(self, reader: PathReader | None) -> None:
        """Walk one path on from its kept first page, handing its pages to the loader."""
        if reader is None or self.stopping.is_set() or self._skipped(reader.progress):
            return
        sent: dict[str, Any] | None = None
        if reader.progress.error is None:  # its first page came
            reader.progress.started = time.monotonic()  # its time is its walk's, not the wait
            with self._recording(reader):
                for rows in reader.pages():
                    if self.stopping.is_set():  # the loader gave up: fetch nothing more
                        return
                    sent = copy.deepcopy(reader.state)
                    self._put(Fetched(reader.endpoint, rows, sent))
                    self._log(reader.progress)
        if reader.state != (sent if sent is not None else self.states.get(reader.endpoint.table, {})):
            # The cursor moved past rows already loaded (a tie group re-read): keep that.
            self._put(Fetched(reader.endpoint, [], copy.deepcopy(reader.state)))

    def _log(self, progress: PathProgress) -> None:
        """The path's line for every page, and all paths' line every ``ahead`` pages."""
        pace = self.client.settings.rows_per_second
        logger.info(progress.line(self.client.stats.rate_limit_wait_seconds, pace))
        self.pages += 1
        if self.pages % self.every == 0:
            self._log_total()

    def _log_total(self) -> None:
        logger.info(total_line(self.progress.values(), self.client.settings.rows_per_second))

    def _put(self, item: object) -> None:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                pass

    def batch(self, pages: int) -> list[Fetched]:
        """The next ``pages`` pages (fewer at the end); empty once every path is done."""
        batch: list[Fetched] = []
        while not self.done and len(batch) < pages:
            item = self.queue.get()
            if item is _DONE:
                self.done = True
            elif isinstance(item, BaseException):
                self.done = True
                raise item
            else:
                batch.append(item)
        return batch


@dlt.source(name="cvdw", section="cvdw", max_table_nesting=1)
def cvdw_source(batch: list[Fetched], endpoints: list[Endpoint] | None = None,
                privacy: Privacy | None = None) -> list[DltResource]:
    """One merge resource per path in ``batch`` (or in ``endpoints``), replaying its pages, with
    personal fields replaced as ``privacy`` says before dlt normalizes a row."""
    privacy = privacy or Privacy("drop")
    paths = {e.path: e for e in endpoints or []} | {f.endpoint.path: f.endpoint for f in batch}
    return [_resource(endpoint, [f for f in batch if f.endpoint is endpoint], privacy)
            for endpoint in paths.values()]


def declared_columns(endpoint: Endpoint, privacy: Privacy) -> dict[str, dict[str, Any]]:
    """The path's documented columns with their types (``catalogue.json``), as stored under
    ``privacy``: so every one exists from the first load, whether or not a row carried a value."""
    columns = {}
    for name, data_type in catalogue.paths().get(endpoint.path, {}).get("columns", {}).items():
        if (stored := privacy.stored_type(name, endpoint.path, data_type)) is not None:
            columns[name] = {"data_type": stored, "nullable": True}
    return columns | {"referencia": {"data_type": "text", "nullable": False},
                      "referencia_data": {"data_type": "text", "dedup_sort": "desc"}}


def _resource(endpoint: Endpoint, pages: list[Fetched], privacy: Privacy) -> DltResource:
    def replay() -> Iterator[Any]:
        state = dlt.current.resource_state()
        if not any(page.rows for page in pages):
            yield dlt.mark.materialize_table_schema()  # a path without rows still has its table
        for page in pages:
            if page.rows:
                yield page.rows
            state.clear()
            state.update(page.state)

    return dlt.resource(
        replay,
        name=endpoint.table,
        table_name=endpoint.table,
        primary_key="referencia",
        write_disposition="merge",
        max_table_nesting=endpoint.nesting,
        columns=declared_columns(endpoint, privacy),
    ).add_map(privacy.rows(endpoint.path))


def configure_schema(schema: dlt.Schema) -> None:
    """Raw keeps CVDW's text dates as text (staging casts them) and money as decimals."""
    schema.remove_type_detection("iso_timestamp")
    schema.update_preferred_types({DECIMAL_COLUMNS: "decimal"})
