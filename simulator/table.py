"""One CVDW path: compact row storage plus a sorted ``referencia_data`` index.

Rows are kept as parallel lists (entity, referencia, referencia_data, seq,
ativo) rather than dicts, so a 200k-reservation world fits in memory; the
world renders a dict only when a row is served. The index is the order the
API serves rows in: ascending ``(referencia_data, seq)``, where ``seq`` grows
every time a row is added or changed, which keeps ties in a stable order and
puts a freshly edited row behind its equals.

An account profile (:mod:`simulator.profiles`) can keep rows out of the
index: a path the account does not use serves nothing (``blank``), and single
rows can be ``hidden`` (a sale missing from ``reservas``). Hidden rows still
live and change with the world; leaving them out of the index is what keeps
``total_de_registros``, offsets and date filters consistent with what is
served.
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import count, islice, repeat
from typing import Any

from .timefmt import ZERO

_SEQ: Iterator[int] = count()


class Table:
    """Rows of one path and the index used for paging and date filters."""

    def __init__(self, path: str, has_ativo: bool = True) -> None:
        self.path = path
        self.has_ativo = has_ativo
        self.ents: list[Any] = []
        self.ref: list[str] = []
        self.rdate: list[str] = []
        self.seq = array("q")  # 8 bytes a row, not an int object each: millions of rows
        self.ativo: list[str | None] = []
        self.extra: dict[str, Any] = {}
        self._order: list[int] | None = None
        self._dates: list[str] = []
        self._pending: dict[int, None] = {}
        self._by_ref: dict[str, int] | None = None
        self.shape: Callable[[dict], dict] | None = None  # the profile's row edit
        self.hidden: frozenset[int] = frozenset()
        self.blank = False

    def __len__(self) -> int:
        return len(self.ents)

    def add(self, ent: Any, ref: str, rdate: str, ativo: str | None = "S") -> int:
        """Append a row; it joins the index at the next query."""
        i = len(self.ents)
        self.ents.append(ent)
        self.ref.append(ref)
        self.rdate.append(rdate)
        self.seq.append(next(_SEQ))
        self.ativo.append(ativo if self.has_ativo else None)
        if self._order is not None:
            self._pending[i] = None
        if self._by_ref is not None:
            self._by_ref[ref] = i
        return i

    def extend(self, ents: list, refs: list[str], rdate: str) -> range:
        """Append rows sharing one ``referencia_data`` (a batch); their row ids.

        One call for thousands of rows (a price table), at C speed: same result as
        :meth:`add` in a loop.
        """
        first, n = len(self.ents), len(ents)
        self.ents.extend(ents)
        self.ref.extend(refs)
        self.rdate.extend(repeat(rdate, n))
        self.seq.extend(islice(_SEQ, n))
        self.ativo.extend(repeat("S" if self.has_ativo else None, n))
        rows = range(first, first + n)
        if self._order is not None:
            self._pending.update(dict.fromkeys(rows))
        if self._by_ref is not None:
            self._by_ref.update(zip(refs, rows, strict=True))
        return rows

    def stamp(self, i: int, rdate: str) -> bool:
        """Mark row ``i`` changed at ``rdate`` (never moves backwards).

        Returns True when the row really moved, so callers can count edits.
        """
        if rdate <= self.rdate[i]:
            return False
        if self._order is not None and i not in self._pending:
            if i not in self.hidden:  # a hidden row was never indexed
                self._unindex(i)
            self._pending[i] = None
        self.rdate[i] = rdate
        self.seq[i] = next(_SEQ)
        return True

    def _unindex(self, i: int) -> None:
        """Drop row ``i`` from the built index (it is re-added on flush)."""
        dates, order = self._dates, self._order
        assert order is not None
        pos = bisect_left(dates, self.rdate[i])
        while order[pos] != i:
            pos += 1
        del order[pos]
        del dates[pos]

    def index(self) -> tuple[list[int], list[str]]:
        """Sorted row ids and their dates, built or patched on demand."""
        if self.blank:
            return [], []
        if self._order is None:
            self._rebuild()
        elif self._pending:
            self._flush()
        assert self._order is not None
        return self._order, self._dates

    def _rebuild(self) -> None:
        seq, rdate = self.seq, self.rdate
        order = sorted(range(len(seq)), key=seq.__getitem__)
        order.sort(key=rdate.__getitem__)  # stable: ties keep seq order
        if self.hidden:
            order = [i for i in order if i not in self.hidden]
        self._order = order
        self._dates = [rdate[i] for i in order]
        self._pending = {}

    def _flush(self) -> None:
        """Append changed rows; they are newer than everything indexed."""
        rdate, seq, hidden = self.rdate, self.seq, self.hidden
        new = sorted((i for i in self._pending if i not in hidden),
                     key=lambda i: (rdate[i], seq[i]))
        self._pending = {}
        assert self._order is not None
        if not new:
            return
        if self._dates and rdate[new[0]] < self._dates[-1]:
            self._rebuild()
            return
        self._order.extend(new)
        self._dates.extend(rdate[i] for i in new)

    def find(self, ref: str) -> int:
        """Row id of a ``referencia`` (lazy map: rarely needed)."""
        if self._by_ref is None:
            self._by_ref = {r: i for i, r in enumerate(self.ref)}
        return self._by_ref[ref]

    def bounds(self, lo: str | None, hi: str | None) -> tuple[int, int]:
        """Index slice matching the date filters (inclusive both ends).

        Any date filter excludes zero-date rows, which otherwise sort first.
        """
        _, dates = self.index()
        if lo is not None:
            a = bisect_left(dates, lo)
        elif hi is not None:
            a = bisect_right(dates, ZERO)
        else:
            a = 0
        b = bisect_right(dates, hi) if hi is not None else len(dates)
        return a, max(a, b)

    def max_rdate(self) -> str:
        """Newest ``referencia_data`` of the path (ZERO when empty)."""
        _, dates = self.index()
        return dates[-1] if dates else ZERO

    def oldest_nonzero(self, k: int) -> list[int]:
        """The ``k`` oldest rows whose ``referencia_data`` is a real date."""
        order, dates = self.index()
        a = bisect_right(dates, ZERO)
        return order[a:a + k]

    def add_field(self, name: str, value: Any | Callable[[dict], Any]) -> None:
        """Schema drift: ``name`` appears in every rendered row from now on."""
        self.extra[name] = value

    def hide(self, rows: Iterable[int]) -> None:
        """Keep rows ``rows`` out of what the path serves (they stay in the world)."""
        self.hidden = self.hidden | frozenset(rows)
        self._order, self._pending = None, {}

    def decorate(self, row: dict) -> dict:
        """Apply the profile's edit, then drift fields, to a freshly rendered row.

        Drift comes last so a field added by :meth:`add_field` is never left
        out by the profile: it is new schema, not the account's configuration.
        """
        if self.shape is not None:
            row = self.shape(row)
        for name, value in self.extra.items():
            row[name] = value(row) if callable(value) else value
        return row
