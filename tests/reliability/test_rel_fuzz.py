"""Issue 7.3 fuzzing (hypothesis): the generic importer, Kraken ``ledgers.csv`` (against a
model of the account), and every CSV layout, fed generated and hostile rows.

Properties: parsing never raises anything but ``InputError`` (a refused file); every row
read is in exactly one bucket (``accounting_gap`` is None); every event is one the ledger
can store (positive finite amounts); the generic CSV round-trips through ``export``; a
Kraken history generated from a model matches its own balance column, and changing one
amount makes ``taxmargin check`` find the divergence at or after that row.

CI runs a bounded number of examples; ``make fuzz`` sets ``TAXMARGIN_FUZZ_EXAMPLES``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from rel_support import KRAKEN_HEADER

from taxmargin import api
from taxmargin.check import Holdings, ImportView, compare_import, opening_shortfalls
from taxmargin.codec import GENERIC_COLUMNS, content_key, event_to_values, write_csv
from taxmargin.errors import InputError, Severity
from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import CsvLayout, FileText, ImportResult, accounting_gap
from taxmargin.importers.generic import GenericCsv
from taxmargin.importers.kraken_ledger import KrakenLedgerClassic
from taxmargin.ledger import Ledger
from taxmargin.models import EventBase

#: examples per property: ``make fuzz`` raises it (e.g. 5000); CI keeps the defaults below
SCALE = int(os.environ.get("TAXMARGIN_FUZZ_EXAMPLES", "0"))


def examples(ci: int) -> settings:
    return settings(max_examples=SCALE or ci, deadline=None, derandomize=not SCALE,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def file_of(text: str, name: str = "fuzz.csv") -> FileText:
    data = text.encode("utf-8", "surrogatepass")
    return FileText(name, text, "utf-8", hashlib.sha256(data).hexdigest(), len(data))


HOSTILE = ["", " ", "--", "0", "-0", "1e999999", "NaN", "-Infinity", "1E+19", "0.0000000000000000000000001",
           "=1+1", "+SUM(1)", "@x", '"', '""', ",", "\n", "\r\n", "\x00", "\t", ";", "é€", "\ufeff", "x" * 300,
           "2024-13-45", "9999-12-31T23:59:59Z", "2008-01-01", "-1", "1,000.5", "BTC", "usd", "DOT.S", "trade"]


def sane(event: EventBase) -> bool:
    amounts = [a.quantity for a in (event.sent, event.received, event.fee) if a is not None]
    values = [v for v in (event.usd_value, event.fee_usd) if v is not None]
    return all(q.is_finite() and q > 0 for q in amounts) and all(v.is_finite() and v >= 0 for v in values)


def assert_well_formed(result: ImportResult, name: str) -> None:
    assert accounting_gap(result) is None, accounting_gap(result)
    for event in result.events:
        assert sane(event), event
        event_to_values(event)  # the ledger can store it (raises for an importer bug)
    for error in result.errors:
        assert str(error).startswith(f"{name}:") and len(str(error)) < 600


# ---- the generic importer ---------------------------------------------------------------------------

VALID = {
    "time": ["2024-03-01T12:00:00Z", "2024-03-01 12:00:00+02:00", "2025-01-01"],
    "account": ["kraken", "cold wallet", "k"],
    "type": ["trade", "deposit", "withdrawal", "transfer", "borrow", "repay", "interest", "fee", "income", "spend",
             "realized_pnl", "funding", "writeoff", "liquidation", "Trade"],
    "sent_quantity": ["1", "0.5", "1e-8", "100"], "received_quantity": ["2", "0.25", "3000"],
    "fee_quantity": ["0", "0.1", "1"], "sent_asset": ["BTC", "USD", "eth"], "received_asset": ["USDT", "SOL"],
    "fee_asset": ["USD", "BNB"], "usd_value": ["100", "0"], "fee_usd_value": ["1"], "to_account": ["cold", "k"],
    "basis_usd": ["50"], "acquired": ["2023-01-01T00:00:00Z"], "lots": ["A1;B2", "X"], "id": ["A1", "B2", "X"],
    "note": ["hello", "a, b"], "source": ["old.csv:7", "x:0", "f.csv:12"],
}


def cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(VALID[column]), st.sampled_from(HOSTILE), st.text(max_size=12))


@st.composite
def generic_files(draw: st.DrawFn) -> str:
    optional = [c for c in GENERIC_COLUMNS if c not in ("time", "account", "type")]
    columns = ["time", "account", "type", *draw(st.lists(st.sampled_from(optional), unique=True, max_size=10))]
    columns = draw(st.permutations(columns))
    rows = draw(st.lists(st.tuples(*(cell(c) for c in columns)), max_size=12))
    out = io.StringIO()
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


@examples(150)
@given(generic_files())
def test_generic_importer_fuzz(text: str) -> None:
    file = file_of(text)
    try:
        result = GenericCsv().parse(file)
    except InputError:
        return
    assert_well_formed(result, "fuzz.csv")
    # export -> import gives the same events (interfaces.md §1 round trip)
    out = io.StringIO()
    write_csv(result.events, out)
    again = GenericCsv().parse(file_of(out.getvalue(), "export.csv"))
    assert again.errors == () and sorted(map(content_key, again.events)) == sorted(map(content_key, result.events))


@examples(40)
@given(generic_files())
def test_generic_files_store_and_reconcile(text: str) -> None:
    file = file_of(text)
    try:
        result = GenericCsv().parse(file)
    except InputError:
        return
    with tempfile.TemporaryDirectory() as folder, Ledger.open(Path(folder) / "l.db") as ledger:
        first = ledger.store(file, result)
        second = ledger.store(file, result)
        assert first.gap == 0 and second.gap == 0
        assert (second.events_stored, second.rows_duplicate) == (0, first.rows_stored)
        assert ledger.event_count() == first.events_stored
    # a ledger taxmargin wrote passes every integrity check (only data findings remain)
    with tempfile.TemporaryDirectory() as folder:
        with Ledger.open(Path(folder) / "l.db") as ledger:
            ledger.store(file, result)
        found = api.check_ledger(Path(folder) / "l.db").report.diagnostics
        assert [d for d in found if d.severity is Severity.ERROR] == []


# ---- every CSV layout -----------------------------------------------------------------------------


CSV_LAYOUTS = [layout for layout in LAYOUTS if isinstance(layout, CsvLayout) and layout.columns]


@st.composite
def layout_files(draw: st.DrawFn) -> tuple[CsvLayout, str]:
    layout = draw(st.sampled_from(CSV_LAYOUTS))
    columns = list(layout.columns)
    width = len(columns)
    rows = draw(st.lists(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=10)), min_size=width,
                                  max_size=width + 1), max_size=8))
    sep = layout.delimiter
    lines = [sep.join(columns), *(sep.join(c.replace(sep, " ").replace("\n", " ").replace('"', "") for c in row)
                                  for row in rows)]
    return layout, "\n".join(lines) + "\n"


@examples(300)
@given(layout_files())
def test_every_layout_fuzz(case: tuple[CsvLayout, str]) -> None:
    layout, text = case
    file = file_of(text)
    assume(layout.detect(file))
    try:
        result = layout.parse(file)
    except InputError:
        return
    assert_well_formed(result, "fuzz.csv")


@examples(100)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused_or_read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "blob.csv"
        path.write_bytes(data)
        try:
            _, result = api.read_import(path)
        except InputError as exc:
            assert str(exc).startswith("blob.csv") or str(exc).startswith(str(path))
            return
        assert_well_formed(result, "blob.csv")


# ---- Kraken ledgers.csv against a model of the account ------------------------------------------


ASSETS = ["ZUSD", "XXBT", "XETH", "DOT", "DOT.S"]
KINDS = ["deposit", "withdrawal", "buy", "sell", "staking", "move", "margin", "rollover"]


@dataclasses.dataclass
class Model:
    """The account as Kraken books it: balance per asset code, rows as written."""

    balance: dict[str, Decimal] = dataclasses.field(default_factory=lambda: {a: Decimal(0) for a in ASSETS})
    rows: list[str] = dataclasses.field(default_factory=list)
    second: int = 0

    def row(self, refid: str, kind: str, subtype: str, asset: str, amount: Decimal, fee: Decimal) -> None:
        self.balance[asset] += amount - fee
        minute, sec = divmod(self.second, 60)
        hour, minute = divmod(minute, 60)
        day, hour = divmod(hour, 24)
        time = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d} {hour:02d}:{minute:02d}:{sec:02d}"
        n = len(self.rows) + 1
        self.rows.append(f'"L{n:05d}-FUZZ-AAAAAA","{refid}","{time}","{kind}","{subtype}","currency","{asset}",'
                         f"{amount},{fee},{self.balance[asset]}")

    def text(self) -> str:
        return "\n".join([KRAKEN_HEADER, *self.rows]) + "\n"


def amount(n: int, places: int) -> Decimal:
    return Decimal(n).scaleb(-places)


def apply(model: Model, op: tuple[str, int, int, int, int, int]) -> None:
    """One operation; one that the balance cannot pay becomes a deposit."""
    kind, a, n, m, places, gap = op
    model.second += gap
    asset, other = ASSETS[a % 4], ASSETS[(a + 1) % 4]
    q, fee = amount(n, places), amount(m, places + 2)
    ref = f"R{len(model.rows)}"
    if kind == "withdrawal" and model.balance[asset] >= q + fee:
        model.row(ref, "withdrawal", "", asset, -q, fee)
    elif kind in ("buy", "sell") and model.balance[asset] >= q and asset != other:
        model.row(ref, "trade", "", asset, -q, Decimal(0))
        got = amount(n + m, places)
        model.row(ref, "trade", "", other, got, min(fee, got))
    elif kind == "staking":
        model.row(ref, "staking", "", "DOT.S", q, Decimal(0))
    elif kind == "move" and model.balance["DOT"] >= q:
        model.row(ref, "transfer", "spottostaking", "DOT", -q, Decimal(0))
        model.second += gap
        model.row(ref + "b", "transfer", "stakingfromspot", "DOT.S", q, Decimal(0))
    elif kind == "margin" and model.balance["ZUSD"] >= q + fee:
        model.row(ref, "margin", "", "ZUSD", q if m % 2 else -q, fee)
    elif kind == "rollover" and model.balance["ZUSD"] >= fee:
        model.row(ref, "rollover", "", "ZUSD", Decimal(0), fee)
    else:
        model.row(ref, "deposit", "", asset, q, Decimal(0))


operations = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3), st.integers(1, 10**8),
                                st.integers(0, 10**4), st.integers(0, 8), st.integers(0, 90_000)),
                      min_size=1, max_size=25)


def kraken_result(text: str) -> ImportResult:
    return KrakenLedgerClassic().parse(file_of(text, "ledgers.csv"))


def mismatches(result: ImportResult) -> list[int]:
    """Lines where the events and the balance column disagree, as ``check`` sees one file
    alone: a divergence, or an opening balance the file's own events do not explain."""
    view = ImportView(1, "ledgers.csv", result.layout, result.events, result.balances)
    found = [*compare_import(view), *opening_shortfalls(view, Holdings(sorted(result.events, key=lambda e: e.sort_key)))]
    return [d.source.line for d in found if d.source is not None]


@examples(150)
@given(operations)
def test_kraken_history_matches_its_balance_column(ops: Sequence[tuple[str, int, int, int, int, int]]) -> None:
    model = Model()
    for op in ops:
        apply(model, op)
    result = kraken_result(model.text())
    assert_well_formed(result, "ledgers.csv")
    assert result.errors == () and mismatches(result) == []
    assert len(result.balances) >= 1


@examples(150)
@given(operations, st.integers(0, 10**6), st.sampled_from(["double", "zero", "NaN", "1e999999", "negate", "drop"]))
def test_one_changed_row_is_found(ops: Sequence[tuple[str, int, int, int, int, int]], pick: int, how: str) -> None:
    model = Model()
    for op in ops:
        apply(model, op)
    index = pick % len(model.rows)
    cells = model.rows[index].split(",")
    value = Decimal(cells[7])
    changed = {"double": value * 2, "zero": Decimal(0), "negate": -value}.get(how)
    assume(how in ("NaN", "1e999999", "drop") or changed != value)
    lines = model.rows[:index] + model.rows[index + 1:] if how == "drop" else model.rows[:]
    if how != "drop":
        cells[7] = str(changed) if changed is not None else how
        lines[index] = ",".join(cells)
    if how == "drop":  # a row that moved a balance, and a later row that states that balance
        assume(value - Decimal(cells[8]) != 0 and any(r.split(",")[6] == cells[6] for r in model.rows[index + 1:]))
    result = kraken_result("\n".join([KRAKEN_HEADER, *lines]) + "\n")
    assert_well_formed(result, "ledgers.csv")
    # noticed: a rejected row, a divergence or an unexplained opening balance, at the row
    # (file line index + 2), at the other leg of its trade (index + 1) or later
    found = mismatches(result) + [error.source.line for error in result.errors]
    assert found, "the changed row went unnoticed"
    assert min(found) >= index + 1
