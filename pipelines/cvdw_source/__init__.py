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

Pace: the rate limit, not our processing, must set the speed. A ``Prefetcher`` thread walks
the paths one after the other into a bounded queue while dlt normalizes and loads the batch
before, so the waits of the limit hide the loading.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.sources import DltResource

from .client import CVDWClient, CVDWError, CVDWUnavailable, FatalCVDWError, Page
from .endpoints import DECIMAL_COLUMNS, ENDPOINTS, Endpoint

logger = logging.getLogger("cvdw")

__all__ = ["cvdw_source", "Prefetcher", "PathProgress", "ENDPOINTS", "Endpoint"]


@dataclass
class PathProgress:
    """What one path did in this process: shown while running and in the summary."""

    path: str
    requests: int = 0  # tie groups and re-reads at the cursor make more requests than pages
    total_rows: int | None = None  # rows waiting when the path was first asked
    total_pages: int | None = None  # their pages, then
    rows: int = 0
    complete: bool = False
    error: str | None = None
    unavailable: bool = False  # failed because CVDW was down, not because of this path
    started: float = field(default_factory=time.monotonic)

    def line(self, rate_limit_wait: float) -> str:
        total = f" of {self.total_rows:,}" if self.total_rows is not None else ""
        pages = f" for {self.total_pages} pages" if self.total_pages is not None else ""
        return (f"{self.path}: {self.rows:,}{total} rows, {self.requests} requests{pages}, "
                f"{time.monotonic() - self.started:.1f} s, {rate_limit_wait:.1f} s waiting on "
                "the rate limit")


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
        if self.progress.total_rows is None:
            self.progress.total_rows, self.progress.total_pages = page.total_rows, page.total_pages
        return page

    def pages(self) -> Iterator[list[dict[str, Any]]]:
        while not self.progress.complete:
            page = self._get(since=self.cursor)
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

    ``states`` are the paths' resource states as committed in the destination (by table).
    A path that fails (403, say) records its error and the next path goes on. Once one path
    found CVDW down, the others are not tried (each would wait ``max_retry_seconds`` in turn)
    and are recorded as unavailable too. A ``FatalCVDWError`` (bad credentials) stops
    everything and is raised to the loader.
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
            for endpoint in self.endpoints:
                self._fetch_path(endpoint)
            self._put(_DONE)
        except BaseException as error:  # handed to the loader, which raises it
            self._put(error)

    def _fetch_path(self, endpoint: Endpoint) -> None:
        progress = self.progress.setdefault(endpoint.path, PathProgress(endpoint.path))
        if self.outage:
            progress.error = f"not read: CVDW was down (it kept failing on '{self.outage}')"
            progress.unavailable = True
            return
        state = copy.deepcopy(self.states.get(endpoint.table, {}))
        reader = PathReader(self.client, endpoint, state, progress, self.start_date)
        sent: dict[str, Any] | None = None
        try:
            for rows in reader.pages():
                if self.stopping.is_set():  # the loader gave up: fetch nothing more
                    return
                sent = copy.deepcopy(state)
                self._put(Fetched(endpoint, rows, sent))
                logger.info(progress.line(self.client.stats.rate_limit_wait_seconds))
        except FatalCVDWError:
            raise
        except CVDWError as error:
            # One path failing must not stop the others; its state keeps the cursor of what
            # was fetched, so the next run resumes there.
            progress.error = str(error)
            if isinstance(error, CVDWUnavailable):
                progress.unavailable, self.outage = True, endpoint.path
        if state != (sent if sent is not None else self.states.get(endpoint.table, {})):
            # The cursor moved past rows already loaded (a tie group re-read): keep that.
            self._put(Fetched(endpoint, [], copy.deepcopy(state)))

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
def cvdw_source(batch: list[Fetched], endpoints: list[Endpoint] | None = None) -> list[DltResource]:
    """One merge resource per path in ``batch`` (or in ``endpoints``), replaying its pages."""
    paths = {e.path: e for e in endpoints or []} | {f.endpoint.path: f.endpoint for f in batch}
    return [_resource(endpoint, [f for f in batch if f.endpoint is endpoint])
            for endpoint in paths.values()]


def _resource(endpoint: Endpoint, pages: list[Fetched]) -> DltResource:
    def replay() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state()
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
        columns={"referencia": {"data_type": "text"},
                 "referencia_data": {"data_type": "text", "dedup_sort": "desc"}},
    )


def configure_schema(schema: dlt.Schema) -> None:
    """Raw keeps CVDW's text dates as text (staging casts them) and money as decimals."""
    schema.remove_type_detection("iso_timestamp")
    schema.update_preferred_types({DECIMAL_COLUMNS: "decimal"})
