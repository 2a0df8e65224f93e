"""What :meth:`taxmargin.ledger.Ledger.store` records beside the events (issue 7, schema
version 2): the row reconciliation, the links from an import to the events it found
already stored, the source files its events name, and the exchange's balance checkpoints.

Rows are attributed through ``ImportResult.rows_per_event``: the rows of an event that was
stored count as *stored*, those of an event already in the ledger as *duplicates*, those
of an event whose id is stored with different content as *in conflict*. So
``rows read = stored + duplicates + in conflict + non-taxable + rejected`` for every
import (``ImportRecord.reconciliation``).

Files of different ``ImportResult.authority`` (schema version 3) do not conflict: an event
whose key is stored with different content by a file of higher authority is a *duplicate*
(cross-checked), one that meets a stored event of lower authority replaces it and counts
as *stored* (:mod:`taxmargin.ledger_crosscheck`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from hashlib import blake2b
from itertools import islice, repeat
from operator import le
from typing import overload

from taxmargin.codec_rules import format_decimal
from taxmargin.errors import Diagnostic
from taxmargin.importers.base import BalanceCheckpoint
from taxmargin.ledger_cells import SEP, dedup_base, stored_cells
from taxmargin.ledger_queries import IN_ORDER, Existing, insert_sql
from taxmargin.ledger_schema import stored_time
from taxmargin.models import EventBase

__all__ = ["Batch", "Collision", "Order", "Packed", "Prepared", "Tally", "hash_texts", "insert_rows", "prepare",
           "source_paths", "store_extras"]

#: An event ready for insertion: (event, dedup key, content fingerprint, stored ``time``,
#: stored ``cells``, input rows it was built from) — :func:`prepare`.
Prepared = tuple[EventBase, int, bytes, str, str, int]
#: An event's stored text, ``time`` and ``cells`` (``ledger_cells.stored_cells``).
Packed = tuple[str, str, str]
#: An incoming event and the stored event of other authority with its key and other content.
Collision = tuple[Prepared, Existing]


@dataclass(slots=True)
class Tally:
    """Counts and links of one import while its chunks are classified."""

    stored: int = 0
    duplicates: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_conflict: int = 0
    conflicts: list[str] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)  # (stored event_pk, role)
    sources: set[str] = field(default_factory=set)
    #: stored events of lower authority this import replaced, and the cross-check notes
    replaced: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def classify(
        self, prepared: Sequence[Prepared], existing: dict[int, Existing], authority: int
    ) -> tuple[Sequence[Prepared], list[Collision]]:
        """The new events of a chunk, and those meeting a stored event of other authority
        (module docstring); duplicates and conflicts are counted and linked. (A
        :class:`Batch` that meets nothing stored is returned as it is: its events are
        never built.)"""
        new: list[Prepared] = []
        collisions: list[Collision] = []
        if not existing:  # nothing stored meets these (e.g. a new ledger): all new
            self.stored += len(prepared)
            if isinstance(prepared, Batch):
                self.rows_stored += len(prepared)
                return prepared, collisions
            self.rows_stored += sum(item[5] for item in prepared)
            return list(prepared), collisions
        for item in prepared:
            event, key, fingerprint, _, _, rows = item
            stored = existing.get(key)
            if stored is None:
                new.append(item)
                self.stored += 1
                self.rows_stored += rows
            elif stored[0] == fingerprint or stored[4] > authority:
                self.duplicates += 1
                self.rows_duplicate += rows
                self.links.append((stored[3], "duplicate"))
                if stored[0] != fingerprint:
                    collisions.append((item, stored))
            elif stored[4] < authority:
                self.stored += 1
                self.rows_stored += rows
                self.replaced += 1
                collisions.append((item, stored))
            else:
                self.rows_conflict += rows
                self.links.append((stored[3], "conflict"))
                self.conflicts.append(_conflict_message(event, stored))
        return new, collisions


def prepare(
    events: Sequence[EventBase], texts: Sequence[str | Packed | None], rows: Sequence[int], seen: dict[bytes, int]
) -> list[Prepared]:
    """Stored cells, content fingerprint and de-duplication key of every event
    (``texts``: precomputed stored texts, ``importers.base.StoredTexts``, or already packed
    ``(text, time, cells)`` of ``ledger_cells.stored_cells``, or None: formatted here).

    The fingerprint hashes the stored text (the canonical cells without ``source``); the key
    is a 64-bit hash of ``(account, id)`` or of the fingerprint, plus k = how many earlier
    events of this import had the same one (counted in ``seen``, shared by the chunks of one
    import), so identical fills in one file stay distinct (``taxmargin.ledger``). A key
    collision is never silent: with different fingerprints it is reported as a conflict.
    """
    out: list[Prepared] = []
    append, get, from_bytes = out.append, seen.get, int.from_bytes
    for event, text, row_count in zip(events, texts, rows):
        if text is None:
            text, time, cells = stored_cells(event, None)
        elif isinstance(text, tuple):
            text, time, cells = text
        else:
            time, _, cells = text.partition(SEP)
        print_ = blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        base = dedup_base(event, print_) if event.event_id else b"f" + print_
        k = get(base, 0)
        seen[base] = k + 1
        key = from_bytes(blake2b(base + (_K0 if not k else k.to_bytes(4, "big")), digest_size=8).digest(), "big",
                         signed=True)
        append((event, key, print_, time, cells, row_count))
    return out


_K0 = (0).to_bytes(4, "big")


def hash_texts(texts: Sequence[str], id_bases: Mapping[int, bytes], seen: dict[bytes, int]) -> tuple[list[bytes], list[int]]:
    """:func:`prepare`'s fingerprints and keys of successive events from their stored texts
    alone (``id_bases``: index -> ``dedup_base`` of the events with an id; the others are
    de-duplicated by fingerprint), without the events: a streamed import's writer
    (``taxmargin.ledger_stream``) never builds them. Property-tested against
    :func:`prepare` (tests/test_perf_import_keys.py)."""
    prints = [blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest() for text in texts]
    bases = [id_bases.get(i) or b"f" + print_ for i, print_ in enumerate(prints)] if id_bases else \
        [b"f" + print_ for print_ in prints]
    keys: list[int] = []
    append, get, from_bytes, k0 = keys.append, seen.get, int.from_bytes, _K0
    for base in bases:
        k = get(base, 0)
        seen[base] = k + 1
        append(from_bytes(blake2b(base + (k0 if not k else k.to_bytes(4, "big")), digest_size=8).digest(), "big",
                          signed=True))
    return prints, keys


class Batch(Sequence[Prepared]):
    """A streamed chunk's prepared events column by column (``taxmargin.ledger_stream``):
    what :func:`prepare` gives, but the events (stand-ins) are built only when an item is
    read — which :meth:`Tally.classify`, :func:`insert_rows`, :func:`source_paths` and
    :class:`Order` avoid for a chunk that meets no stored event (a new ledger: a million
    fewer objects and tuples in the writer, issue 6). Every event counts one input row."""

    __slots__ = ("_events", "_items", "cells", "keys", "lines", "paths", "prints", "seqs", "times")

    def __init__(self, columns: tuple[list[int], list[bytes], list[str], list[str], str | list[str], list[int],
                                      list[int] | None], events: Callable[[], Sequence[EventBase]]) -> None:
        """``columns``: keys, fingerprints, stored times and cells, source path(s) (one
        string: all share it), lines, seqs (None: all 0); ``events`` builds the events."""
        self.keys, self.prints, self.times, self.cells, self.paths, self.lines, self.seqs = columns
        self._events = events
        self._items: list[Prepared] | None = None

    def items(self) -> list[Prepared]:
        """The prepared items (built once)."""
        if self._items is None:
            self._items = list(zip(self._events(), self.keys, self.prints, self.times, self.cells, repeat(1)))
        return self._items

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> Prepared: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Prepared]: ...
    def __getitem__(self, index: int | slice) -> Prepared | Sequence[Prepared]:
        return self.items()[index]

    def __iter__(self) -> Iterator[Prepared]:
        return iter(self.items())

    def bound(self) -> Iterable[tuple[int, bytes, str, str, str, int, int]]:
        """The values :func:`insert_rows` binds, in ``ledger_queries.INSERT_COLUMNS`` order."""
        count, paths = len(self.keys), self.paths
        return zip(self.keys, self.prints, self.times, self.cells,
                   repeat(paths, count) if isinstance(paths, str) else paths, self.lines,
                   self.seqs if self.seqs is not None else repeat(0, count))

    def rest(self, i: int) -> tuple[str, int, int]:
        """Source path, line and seq of the ``i``-th event (``Order``)."""
        paths = self.paths
        return (paths if isinstance(paths, str) else paths[i], self.lines[i], 0 if self.seqs is None else self.seqs[i])

    def in_order(self, time: str, last: tuple[str, int, int]) -> bool:
        """True when the events are known to follow ``(time, last)`` in booking order
        (nondecreasing times, and one source path with nondecreasing lines and seq 0, so
        events of equal time are in order too); False: check them one by one."""
        times, lines = self.times, self.lines
        return (isinstance(self.paths, str) and self.seqs is None and (time, last) <= (times[0], self.rest(0))
                and all(map(le, times, islice(times, 1, None))) and all(map(le, lines, islice(lines, 1, None))))


def source_paths(chunk: Sequence[Prepared]) -> set[str]:
    """The source paths of a chunk's events (``Tally.sources``)."""
    if isinstance(chunk, Batch):
        return {chunk.paths} if isinstance(chunk.paths, str) else set(chunk.paths)
    return {item[0].source.path for item in chunk}


def insert_rows(conn: sqlite3.Connection, import_id: int, authority: int, chunk: Sequence[Prepared]) -> None:
    """Insert new events (``ledger_queries.INSERT_COLUMNS``)."""
    if isinstance(chunk, Batch):
        conn.executemany(insert_sql(import_id, authority), chunk.bound())
        return
    conn.executemany(
        insert_sql(import_id, authority),
        [(key, print_, time, cells, e.source.path, e.source.line, e.seq) for e, key, print_, time, cells, _ in chunk],
    )


def _conflict_message(event: EventBase, stored: Existing) -> str:
    what = f"event id '{event.event_id}'" if event.event_id else "an event whose de-duplication key"
    return (
        f"{event.source}: {what} (account '{event.account}') is "
        f"already stored from {stored[1]}:{stored[2]} with different content; kept the stored event"
    )


def store_extras(
    conn: sqlite3.Connection, import_id: int, tally: Tally, balances: Sequence[BalanceCheckpoint]
) -> None:
    """Counts, conflict messages, links, source files and balance checkpoints of an import
    (inside the import's transaction)."""
    conn.execute(
        "UPDATE imports SET events_stored = ?, duplicates = ?, rows_stored = ?, rows_duplicate = ?,"
        " rows_conflict = ? WHERE import_id = ?",
        (tally.stored, tally.duplicates, tally.rows_stored, tally.rows_duplicate, tally.rows_conflict, import_id),
    )
    conn.executemany(
        "INSERT INTO import_conflicts (import_id, position, message) VALUES (?, ?, ?)",
        [(import_id, i, message) for i, message in enumerate(tally.conflicts)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO import_links (import_id, event_pk, role) VALUES (?, ?, ?)",
        [(import_id, pk, role) for pk, role in tally.links],
    )
    conn.executemany(
        "INSERT INTO import_sources (import_id, source_path) VALUES (?, ?)",
        [(import_id, path) for path in sorted(tally.sources)],
    )
    conn.executemany(
        "INSERT INTO balances (import_id, position, account, asset, time, balance, skipped, opening,"
        " source_path, source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (import_id, i, cp.account, cp.asset, stored_time(cp.time), format_decimal(cp.balance),
             format_decimal(cp.skipped), format_decimal(cp.opening), cp.source.path, cp.source.line)
            for i, cp in enumerate(balances)
        ],
    )


def _rest(item: EventBase | tuple[str, int, int]) -> tuple[str, int, int]:
    return item if isinstance(item, tuple) else (item.source.path, item.source.line, item.seq)


class Order:
    """Whether the events stay stored in booking order ``(time, source path, line, seq)``
    as an import appends them (the :data:`IN_ORDER` flag; ``Ledger.store_events``)."""

    __slots__ = ("last", "ok", "time")

    def __init__(self, conn: sqlite3.Connection, earlier: bool) -> None:
        self.ok, self.time = True, ""
        self.last: EventBase | tuple[str, int, int] = ("", 0, 0)
        if earlier:
            flag = conn.execute("SELECT value FROM meta WHERE key = ?", (IN_ORDER,)).fetchone()
            row = conn.execute(
                "SELECT time, source_path, source_line, seq FROM events ORDER BY event_pk DESC LIMIT 1").fetchone()
            self.ok = flag == ("1",) and row is not None
            if self.ok:
                self.time, self.last = row[0], tuple(row[1:])

    def add(self, chunk: Sequence[Prepared]) -> None:
        """The next events inserted (in ``event_pk`` order)."""
        if not self.ok or not chunk:
            return
        if isinstance(chunk, Batch):
            try:
                if chunk.in_order(self.time, _rest(self.last)):
                    self.time, self.last = chunk.times[-1], chunk.rest(len(chunk) - 1)
                    return
            except TypeError:  # (as below: checked one by one)
                pass
        time, last = self.time, self.last
        try:
            for item in chunk:
                if item[3] <= time and (item[3] < time or _rest(item[0]) < _rest(last)):
                    self.ok = False
                    return
                time, last = item[3], item[0]
        except TypeError:  # the last stored row holds values of other types (edited by hand)
            self.ok = False
            return
        self.time, self.last = time, last

    def save(self, conn: sqlite3.Connection, replaced: bool) -> None:
        """Record the flag (an event replaced in place may have moved: not in order)."""
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (IN_ORDER, "1" if self.ok and not replaced else "0"))
