"""Storing a large file while it is parsed (issue 6: a million generic-CSV rows).

``Ledger.store`` takes a finished :class:`~taxmargin.importers.base.ImportResult`, so a
large import parses first and stores afterwards, on one core. :class:`StreamStore` stores
the events of a layout that hands them over in chunks while it parses
(``GenericCsv.parse_into``) in a *writer* process (``python -m taxmargin.ledger_stream``),
so parsing and storing overlap on two cores:

* the parent sends each chunk's stored texts (``taxmargin.ledger_cells``), sources and
  ``seq`` through a pipe (pickled strings and numbers: cheap beside parsing or storing);
  it does not even build the events of plainly valid rows without an id (stubs,
  ``importers.generic.Stub``): the result's events are built only if used
  (``taxmargin.lazy_events``), so the writer, not the parse, sets the pace;
* the writer opens the same ledger file, runs the import in ONE ``BEGIN IMMEDIATE``
  transaction with the very code of ``Ledger.store`` (``Ledger.insert_import``,
  ``Ledger.store_events``, ``ledger_store.store_extras``), each chunk prepared column by
  column (``ledger_store.Batch``, ``hash_texts``: ``prepare``'s keys and fingerprints from
  the texts alone) with stand-ins carrying what that code reads of an event
  (:class:`_Row`), built only for a chunk that meets stored events (the rare events that
  meet a stored event of other authority are rebuilt from their stored cells for the
  cross-check), and commits only when the parent says the parse is finished and its rows
  add up (``ledger.check_storable``);
* anything else — the parse fails, the parent is interrupted or killed (the pipe closes
  without a ``finish``), the writer fails — rolls the transaction back: the ledger is as
  before, as with ``Ledger.store``. Errors come back as the same ``LedgerError`` messages.

The import record is inserted first with its row counts 0 and completed at the end (the
counts are known only then); the stored result is the same as ``Ledger.store``'s. One
difference: the writer waits for another writer (``Ledger.open``'s ``timeout``) when the
parse begins, not when it ends.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import compress, count, repeat
from operator import attrgetter
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self, cast

from taxmargin.gcpause import gc_paused
from taxmargin.errors import LedgerError
from taxmargin.importers.base import FileText, ImportResult
from taxmargin.ledger import Ledger
from taxmargin.ledger_record import ImportRecord, check_storable, import_record, rows_per_event
from taxmargin.lazy_events import LazyEvents
from taxmargin.ledger_cells import SEP, dedup_base, stored_cells, unpack
from taxmargin.ledger_load import event_from_row
from taxmargin.ledger_store import Batch, Collision, Packed, Tally, hash_texts, store_extras
from taxmargin.models import EventBase

if TYPE_CHECKING:
    from taxmargin.importers.generic import Stub

__all__ = ["STOP_SECONDS", "STREAM_BYTES", "StreamStore"]

#: Files from this size are stored while they are parsed (smaller ones: ``Ledger.store``).
STREAM_BYTES = 8 << 20
#: How long a writer may take to stop after its pipe closed (beyond the ledger's timeout).
STOP_SECONDS = 60.0

#: A chunk as sent: stored texts (or packed cells), indexes of events with an id, source
#: path(s) (one string when all share it), lines, seqs (None: all 0).
Chunk = tuple[list[str | Packed], list[int], str | list[str], list[int], list[int] | None]


_PATH, _LINE, _SEQ, _ID = attrgetter("source.path"), attrgetter("source.line"), attrgetter("seq"), attrgetter("event_id")


class StreamStore:
    """The parent's side: start the writer, :meth:`feed` it chunks, :meth:`finish`.

    A context manager: leaving it without :meth:`finish` (an exception) rolls back."""

    def __init__(self, ledger: Ledger, file: FileText, layout: str, authority: int) -> None:
        """Start the writer (``OSError`` when no process can be started: store serially)."""
        self.imported_at = datetime.now(UTC)
        self._label = str(ledger.path)
        self._timeout = ledger.timeout
        self._fed = 0
        self._last: EventBase | Stub | None = None
        self._authority = authority
        self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", "taxmargin.ledger_stream"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._pipe: IO[bytes] | None = self._proc.stdin
        self._send(("begin", self._label, ledger.timeout, (file.name, file.sha256, layout, self.imported_at),
                    authority))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._pipe is None:
            return
        try:
            pickle.dump(message, self._pipe, protocol=pickle.HIGHEST_PROTOCOL)
            self._pipe.flush()
        except (BrokenPipeError, OSError):  # the writer is gone: finish() says so
            self._drop_pipe()

    def _drop_pipe(self) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass

    def feed(self, events: Sequence[EventBase | Stub], texts: Sequence[str | None]) -> None:
        """The next events of the parse (or their stubs), in order, with their stored texts
        (None: the event is formatted here)."""
        if not events:
            return
        paths = list(map(_PATH, events))
        seqs = list(map(_SEQ, events))
        chunk: Chunk = (
            cast(list[str | Packed], list(texts)) if None not in texts else
            [text if text is not None else stored_cells(cast(EventBase, event), None)
             for event, text in zip(events, texts)],
            list(compress(count(), map(_ID, events))),
            paths[0] if paths.count(paths[0]) == len(paths) else paths,
            list(map(_LINE, events)),
            seqs if any(seqs) else None,
        )
        self._send(("chunk", *chunk))
        self._fed += len(events)
        self._last = events[-1]

    def finish(self, file: FileText, result: ImportResult) -> ImportRecord:
        """Commit the import of ``result`` (every event of which was fed) and record it;
        raises ``LedgerError`` (nothing stored) as ``Ledger.store`` does."""
        try:
            check_storable(file, result)
            last = result.events.last_fed if isinstance(result.events, LazyEvents) else \
                result.events[-1] if result.events else self._last  # (lazy events: not built here)
            if len(result.events) != self._fed or last is not self._last \
                    or result.authority != self._authority or any(n != 1 for n in rows_per_event(result)):
                raise RuntimeError(f"{file.name}: the events fed to the ledger writer are not the result's")
        except BaseException:
            self.close()
            raise
        counts = (result.rows_read, len(result.non_taxable), result.rows_rejected)
        self._send(("finish", counts, result.balances))
        self._drop_pipe()
        try:
            reply = pickle.load(cast(IO[bytes], self._proc.stdout))
        except (EOFError, pickle.UnpicklingError, OSError):
            reply = None
        status = self._proc.wait()
        if reply is None:
            raise LedgerError(f"{self._label}: the ledger writer stopped (status {status}); nothing stored")
        if reply[0] == "ok":
            return import_record(reply[1], file, result, self.imported_at, reply[2])
        if reply[0] == "error":
            raise LedgerError(reply[1])
        raise RuntimeError(f"the ledger writer failed:\n{reply[1]}")

    def close(self) -> None:
        """Stop the writer; without a ``finish`` it rolls the import back first. A writer
        that does not stop in time is killed (the next use of the ledger rolls back what
        it left)."""
        self._drop_pipe()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        try:
            self._proc.wait(timeout=self._timeout + STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# ---- the writer process ---------------------------------------------------------------------------


class _Aborted(BaseException):
    """The parent closed the pipe without ``finish``: roll back."""


class _Row:
    """What ``prepare``, ``Tally.classify``, ``insert_rows`` and ``Order`` read of an event:
    its source (the row is its own: ``path``, ``line``, printed as ``SourceRef`` prints),
    seq, id, and (rarely: ids, conflict messages) the account, read from its stored cells.
    One object per event, not two: the writer makes a million."""

    __slots__ = ("event_id", "line", "packed", "path", "seq")

    def __init__(self, path: str, line: int, seq: int, packed: str | Packed) -> None:
        self.path, self.line, self.seq, self.packed, self.event_id = path, line, seq, packed, ""

    @property
    def source(self) -> _Row:
        return self

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def cells(self) -> list[str]:
        packed = self.packed
        return unpack(packed[2] if isinstance(packed, tuple) else packed.partition(SEP)[2])

    @property
    def account(self) -> str:
        return self.cells()[0]


def _rows(chunk: Chunk) -> list[_Row]:
    texts, with_id, paths, lines, seqs = chunk
    count = len(texts)
    rows = list(map(_Row, repeat(paths, count) if isinstance(paths, str) else paths, lines,
                    seqs or repeat(0, count), texts))
    for i in with_id:
        rows[i].event_id = rows[i].cells()[14]
    return rows


def _realize(collision: Collision) -> Collision:
    """A collision's event itself, rebuilt from its stored cells (``ledger_crosscheck``)."""
    item, existing = collision
    row = item[0]
    if not isinstance(row, _Row):
        return collision
    event = event_from_row((item[3], item[4], row.path, row.line, row.seq))
    return (event, *item[1:]), existing


def _batch(chunk: Chunk, seen: dict[bytes, int]) -> Batch:
    """A chunk prepared as ``ledger_store.prepare`` prepares events (``seen`` is shared by
    the chunks of the import), column by column: its stand-ins (:class:`_Row`) are made
    only if an item is read (a chunk meeting stored events), so storing into a new ledger
    makes no object per event (issue 6: the writer set the pace)."""
    texts, with_id, paths, lines, seqs = chunk
    if all(type(text) is str for text in texts):
        plain = cast(list[str], texts)
        parts = [text.partition(SEP) for text in plain]
        times, cells = [part[0] for part in parts], [part[2] for part in parts]
    else:
        plain = [text if isinstance(text, str) else text[0] for text in texts]
        packed = [text if isinstance(text, tuple) else (text, *text.partition(SEP)[::2]) for text in texts]
        times, cells = [item[1] for item in packed], [item[2] for item in packed]
    id_bases: dict[int, bytes] = {}
    for i in with_id:
        row = _Row("", 0, 0, texts[i])
        row.event_id = row.cells()[14]
        if row.event_id:
            id_bases[i] = dedup_base(cast(EventBase, row), b"")
    prints, keys = hash_texts(plain, id_bases, seen)
    return Batch((keys, prints, times, cells, paths, lines, seqs), lambda: cast(list[EventBase], _rows(chunk)))


def _chunks(source: IO[bytes], tail: list[tuple[Any, ...]]) -> Iterator[Batch]:
    """The prepared chunks as they arrive; ``tail`` gets the ``finish`` message."""
    seen: dict[bytes, int] = {}
    while True:
        try:
            message = pickle.load(source)
        except EOFError:
            raise _Aborted from None
        if message[0] == "finish":
            tail.append(message)
            return
        yield _batch(message[1:], seen)


def _store(begin: tuple[Any, ...], source: IO[bytes], tail: list[tuple[Any, ...]]) -> tuple[int, Tally]:
    """The import, in one transaction; ``tail`` gets the ``finish`` message."""
    _, label, timeout, what, authority = begin
    tally = Tally()
    with Ledger.open(Path(label), timeout=timeout) as ledger, gc_paused(), ledger.transaction() as conn:
        import_id = ledger.insert_import(conn, what, (0, 0, 0))
        ledger.store_events(conn, import_id, _chunks(source, tail), authority, tally, large=True, realize=_realize)
        _, counts, balances = tail[0]
        conn.execute("UPDATE imports SET rows_read = ?, non_taxable = ?, rejected = ? WHERE import_id = ?",
                     (*counts, import_id))
        store_extras(conn, import_id, tally, balances)
    return import_id, tally


def _drain(source: IO[bytes]) -> bool:
    """Read up to the ``finish`` message (True) or the end of the pipe (False)."""
    while True:
        try:
            if pickle.load(source)[0] == "finish":
                return True
        except EOFError:
            return False


def main() -> int:
    """The writer: one import from standard input, the reply on (the original) standard
    output; stray prints go to standard error. Ctrl-C is the parent's to handle: the
    writer rolls back when the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reply_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    source = sys.stdin.buffer
    try:
        begin = pickle.load(source)
    except EOFError:
        return 0
    reply: tuple[Any, ...]
    tail: list[tuple[Any, ...]] = []
    try:
        reply = ("ok", *_store(begin, source, tail))
    except _Aborted:
        return 0
    except LedgerError as exc:
        reply = ("error", str(exc))
    except Exception:  # a bug: the parent raises it with this traceback
        reply = ("bug", traceback.format_exc())
    if not tail and not _drain(source):  # (failed before the finish message: wait for it)
        return 0
    pickle.dump(reply, reply_to, protocol=pickle.HIGHEST_PROTOCOL)
    reply_to.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
