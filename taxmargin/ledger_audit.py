"""Reading a ledger for ``taxmargin check`` without trusting it (issue 7, "integrity of the
ledger file").

Unlike :meth:`taxmargin.ledger.Ledger.events` (the trusted fast path), every stored cell is
checked here, and every problem becomes an ``error`` :class:`~taxmargin.errors.Diagnostic`
instead of an exception:

* ``sqlite-integrity`` — SQLite's own ``PRAGMA quick_check`` fails (a damaged file);
* ``unknown-import`` — an event names an import id that does not exist;
* ``unknown-source`` — an event's source file is not one its import read (hand-inserted);
* ``bad-time`` / ``bad-amount`` / ``bad-type`` — a cell is not a fixed-width ISO UTC time,
  not an exact decimal in canonical form (``1.5``, never ``1.50``, ``1E+3``, ``NaN``), or
  not an event type;
* ``edited-event`` — the cells no longer match the fingerprint taken at import;
* ``import-count`` / ``unreconciled-import`` / ``broken-link`` / ``bad-checksum`` /
  ``bad-balance`` — an import record that disagrees with the events it points to, whose
  rows do not add up, that links to a deleted event, lacks a sha256, or holds an
  unreadable balance checkpoint.

Events with a problem are left out of the balance checks (they are reported instead).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from taxmargin.check import ImportView, Snapshot
from taxmargin.codec import event_from_values
from taxmargin.gcpause import gc_paused
from taxmargin.errors import Diagnostic, Severity
from taxmargin.importers.base import EARLIEST, LATEST, BalanceCheckpoint
from taxmargin.ledger import Ledger, sql_errors
from taxmargin.ledger_cells import unpack
from taxmargin.ledger_schema import EVENT_VALUE_COLUMNS
from taxmargin.models import EVENT_TYPES, EventBase, SourceRef
from taxmargin.money import MAX_MAGNITUDE

__all__ = ["read_snapshot"]

#: ``time`` is stored fixed-width (``codec_rules.stored_time``), ``acquired`` as
#: ``codec_rules.format_time`` writes it (microseconds only when there are any)
_STORED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_ACQUIRED_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_QUANTITIES = ("sent_quantity", "received_quantity", "fee_quantity")
_VALUES = ("usd_value", "fee_usd_value", "basis_usd")
_AT = {name: i for i, name in enumerate(EVENT_VALUE_COLUMNS)}


@dataclass(slots=True)
class _Import:
    file_name: str
    layout: str
    events_stored: int
    duplicates: int
    sources: set[str] = field(default_factory=set)
    events: list[EventBase] = field(default_factory=list)
    held: int = 0
    balances: list[BalanceCheckpoint] = field(default_factory=list)


def _error(code: str, message: str, source: SourceRef | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, source)


def _parse_time(text: object, form: re.Pattern[str] = _STORED_TIME) -> datetime | None:
    if not isinstance(text, str) or not form.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None
    return value if EARLIEST <= value < LATEST else None


#: ``format_decimal``'s output for a non-negative number: no sign, exponent, leading or
#: trailing zeros (``0``, ``12``, ``0.5``, ``1.25``).
_CANONICAL = re.compile(r"(?:0|[1-9][0-9]{0,29})(?:\.[0-9]{0,29}[1-9])?")


def _exact(text: object, *, positive: bool) -> bool:
    """A canonical exact decimal as the codec writes it (``format_decimal``); a quantity
    (``positive``) is above zero and at most 1e18 (``money.MAX_MAGNITUDE``)."""
    if not isinstance(text, str) or not _CANONICAL.fullmatch(text):
        return False
    if not positive:
        return True
    return text != "0" and (text.find(".") if "." in text else len(text)) <= 19 and Decimal(text) <= MAX_MAGNITUDE


def _signed(text: object) -> Decimal | None:
    """A canonical exact decimal that may be negative, else None."""
    if not isinstance(text, str):
        return None
    body = text[1:] if text.startswith("-") else text
    if not _exact(body, positive=text.startswith("-")):
        return None
    return Decimal(text)


def _cell_problems(values: Sequence[object]) -> list[str]:
    """What is wrong with an event's stored cells (empty: nothing)."""
    wrong: list[str] = []
    if _parse_time(values[_AT["time"]]) is None:
        wrong.append(f"time {str(values[_AT['time']])[:40]!r} is not a stored UTC time")
    if values[_AT["type"]] not in EVENT_TYPES:
        wrong.append(f"type {str(values[_AT['type']])[:20]!r} is not an event type")
    for column in (*_QUANTITIES, *_VALUES):
        cell = values[_AT[column]]
        if cell != "" and not _exact(cell, positive=column in _QUANTITIES):
            wrong.append(f"{column} {str(cell)[:40]!r} is not an exact decimal")
    acquired = values[_AT["acquired"]]
    if acquired != "" and _parse_time(acquired, _ACQUIRED_TIME) is None:
        wrong.append(f"acquired {str(acquired)[:40]!r} is not a stored UTC time")
    return wrong


def _fingerprint(values: Sequence[object]) -> bytes | None:
    """The content fingerprint ``Ledger.store`` took (``ledger._prepare``); None when a
    cell is not text at all."""
    try:
        text = "\x1f".join(values)  # type: ignore[arg-type]  # a non-str cell raises
    except TypeError:
        return None
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _imports(conn: sqlite3.Connection, problems: list[Diagnostic]) -> dict[int, _Import]:
    found: dict[int, _Import] = {}
    for row in conn.execute(
        "SELECT import_id, file_name, sha256, layout, rows_read, events_stored, duplicates, non_taxable,"
        " rejected, rows_stored, rows_duplicate, rows_conflict FROM imports ORDER BY import_id"
    ):
        import_id, name, sha, layout = row[0], str(row[1]), row[2], str(row[3])
        found[import_id] = _Import(name, layout, row[5], row[6])
        if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
            problems.append(_error("bad-checksum", f"import {import_id} ({name}) has no valid sha256 of its file"))
        counts = [v if isinstance(v, int) else None for v in (row[4], *row[7:12])]
        if row[9] is not None and (None in counts or counts[0] != sum(c or 0 for c in counts[1:])):
            problems.append(_error("unreconciled-import", f"import {import_id} ({name}): rows read {row[4]!r} "
                                   "do not add up to its buckets (stored, duplicates, in conflict, non-taxable, "
                                   "rejected): the record was changed"))
    for import_id, path in conn.execute("SELECT import_id, source_path FROM import_sources"):
        if import_id in found:
            found[import_id].sources.add(path)
    return found


def _values(time: object, cells: object) -> list[object] | None:
    """The 17 stored cells of an event row (``taxmargin.ledger_cells``), None when ``cells``
    is not a stored cell list."""
    if not isinstance(cells, str):
        return None
    try:
        return [time, *unpack(cells)]
    except ValueError:
        return None


def _event(row: Sequence[object], imports: dict[int, _Import], problems: list[Diagnostic]) -> EventBase | None:
    """One stored event row: (event_pk, import_id, fingerprint, time, cells, path, line, seq)."""
    pk, import_id, fingerprint = row[0], row[1], row[2]
    path, line, seq = row[5], row[6], row[7]
    source = SourceRef(str(path), line if isinstance(line, int) else 0)
    owner = imports.get(import_id) if isinstance(import_id, int) else None
    if owner is None:
        problems.append(_error("unknown-import", f"stored event {pk} names import {import_id}, which does not exist", source))
        return None
    if path not in owner.sources:
        problems.append(_error("unknown-source", f"stored event {pk}: its source file {str(path)[:60]!r} was never "
                               f"imported (import {import_id} read {owner.file_name})", source))
        return None
    values = _values(row[3], row[4])
    wrong = ["its cells are not a stored cell list"] if values is None else _cell_problems(values)
    if values is None or wrong:
        problems.append(_error("bad-event", f"stored event {pk}: " + "; ".join(wrong), source))
        return None
    if _fingerprint(values) != fingerprint:
        problems.append(_error("edited-event", f"stored event {pk}: its content differs from what was imported "
                               "(changed outside taxmargin)", source))
        return None
    try:
        return event_from_values(values, source, seq if isinstance(seq, int) else 0)
    except (ArithmeticError, ValueError, TypeError, KeyError) as exc:
        problems.append(_error("bad-event", f"stored event {pk} cannot be read ({type(exc).__name__})", source))
        return None


def _events(conn: sqlite3.Connection, imports: dict[int, _Import], problems: list[Diagnostic]) -> dict[int, EventBase]:
    by_pk: dict[int, EventBase] = {}
    for row in conn.execute(
        "SELECT event_pk, import_id, fingerprint, time, cells, source_path, source_line, seq FROM events"
        " ORDER BY time, source_path, source_line, seq, event_pk"
    ):
        owner = imports.get(row[1])
        if owner is not None:
            owner.held += 1
        event = _event(row, imports, problems)
        if event is not None and owner is not None:
            by_pk[row[0]] = event
            owner.events.append(event)
    return by_pk


def _links(conn: sqlite3.Connection, imports: dict[int, _Import], by_pk: dict[int, EventBase],
           problems: list[Diagnostic]) -> None:
    """Events an import found already stored (links), and events of an import that a later
    import of higher authority replaced (schema version 3): both count as the import's
    events for its balance checks; a replaced one also counts as one it stored."""
    missing: dict[int, int] = {}
    pks = {pk for (pk,) in conn.execute("SELECT event_pk FROM events")}
    linked = conn.execute(
        "SELECT import_id, event_pk, 0 FROM import_links UNION ALL"
        " SELECT replaced_import_id, event_pk, 1 FROM import_replacements ORDER BY 1, 2"
    )
    for import_id, pk, replaced in linked:
        if replaced and import_id in imports:
            imports[import_id].held += 1
        if pk not in pks:
            missing[import_id] = missing.get(import_id, 0) + 1
        elif import_id in imports and pk in by_pk:
            imports[import_id].events.append(by_pk[pk])
    for import_id, count in missing.items():
        problems.append(_error("broken-link", f"import {import_id}: {count} events it found already stored "
                               "are no longer in the ledger (deleted outside taxmargin)"))


def _balances(conn: sqlite3.Connection, imports: dict[int, _Import], problems: list[Diagnostic]) -> None:
    for row in conn.execute(
        "SELECT import_id, account, asset, time, balance, skipped, opening, source_path, source_line"
        " FROM balances ORDER BY import_id, position"
    ):
        source = SourceRef(str(row[7]), row[8] if isinstance(row[8], int) else 0)
        time = _parse_time(row[3])
        numbers = [_signed(v) for v in row[4:7]]
        owner = imports.get(row[0])
        if owner is None or time is None or None in numbers:
            problems.append(_error("bad-balance", f"a balance checkpoint of import {row[0]} cannot be read", source))
            continue
        balance, skipped, opening = (n if n is not None else Decimal(0) for n in numbers)
        owner.balances.append(BalanceCheckpoint(source, str(row[1]), str(row[2]), balance, time, skipped, opening))


def _counts(imports: dict[int, _Import], problems: list[Diagnostic]) -> None:
    for import_id, record in imports.items():
        if record.held != record.events_stored:
            problems.append(_error("import-count", f"import {import_id} ({record.file_name}) stored "
                                   f"{record.events_stored} events but the ledger holds {record.held} of them "
                                   "(events deleted or added outside taxmargin)"))


_NULL_REPORT = re.compile(r"NULL value in ([A-Za-z_]+)\.([A-Za-z_]+)")


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` findings (empty: the file is sound).

    SQLite 3.40 reports "NULL value in T.C" for every row of a WITHOUT ROWID table whose
    primary key lists a column declared after ``C`` (the ``prices`` table), though the
    value is there: such a report is kept only when a query finds the NULL."""
    found: list[str] = []
    for (line,) in conn.execute("PRAGMA quick_check"):
        text = str(line)
        if text == "ok":
            continue
        null = _NULL_REPORT.fullmatch(text)
        if null is not None and null.group(1) in _TABLES and null.group(2).isidentifier():
            count = conn.execute(f"SELECT count(*) FROM {null.group(1)} WHERE {null.group(2)} IS NULL").fetchone()
            if not count[0]:
                continue
        found.append(text)
    return found


_TABLES = frozenset({"meta", "imports", "import_conflicts", "events", "prices", "import_links",
                     "import_sources", "balances", "import_replacements"})


def read_snapshot(ledger: Ledger) -> Snapshot:
    """Everything ``taxmargin.check.check`` needs, with the integrity problems found. A
    file SQLite cannot read at all raises :class:`~taxmargin.errors.LedgerError`."""
    with sql_errors(str(ledger.path)), gc_paused():
        return _read(ledger.connection)


def _read(conn: sqlite3.Connection) -> Snapshot:
    problems: list[Diagnostic] = []
    verdict = _quick_check(conn)
    if verdict:
        problems.append(_error("sqlite-integrity", "SQLite reports a damaged file: " + "; ".join(verdict[:3])[:300]))
    imports = _imports(conn, problems)
    by_pk = _events(conn, imports, problems)
    _links(conn, imports, by_pk, problems)
    _balances(conn, imports, problems)
    _counts(imports, problems)
    views = tuple(
        ImportView(import_id, record.file_name, record.layout, tuple(record.events), tuple(record.balances))
        for import_id, record in imports.items()
    )
    events = tuple(sorted(by_pk.values(), key=lambda e: e.sort_key))
    return Snapshot(events=events, imports=views, problems=tuple(problems))
