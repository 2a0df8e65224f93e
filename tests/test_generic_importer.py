"""importers/generic.py: the taxmargin CSV layout (interfaces.md §2).

Physical line numbers are counted by hand in each file below (line 1 = the header).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from taxmargin.importers.base import FileText, detect_layout, load_file
from taxmargin.importers.generic import LAYOUTS, GenericCsv, _ParseState, _plain_lines

from taxmargin.codec import write_csv
from taxmargin.errors import InputError, UnknownFormat
from taxmargin.models import Amount, Deposit, SourceRef, Trade, Transfer

HEADER = "time,account,type,sent_quantity,sent_asset,received_quantity,received_asset,id,note"
LAYOUT = GenericCsv()
KNOWN_TYPES = ("trade, liquidation, deposit, withdrawal, transfer, borrow, repay, interest, fee, income, spend, "
               "realized_pnl, funding, writeoff")


def text_file(text: str, name: str = "g.csv") -> FileText:
    data = text.encode()
    return FileText(name, text, "utf-8", hashlib.sha256(data).hexdigest(), len(data))


def test_registered_once_under_its_name() -> None:
    assert [layout.name for layout in LAYOUTS] == ["taxmargin-csv"]


@pytest.mark.parametrize(
    ("header", "detected"),
    [
        ("time,account,type", True),
        ("type,time,account,sent_quantity,sent_asset", True),  # column order is free (§2)
        ("time,account,type,sent_qty", True),  # detected, then refused by parse (typo)
        ("time,type,asset,amount", False),  # no account: not ours
        ("Time,Account,Type", False),
        ("txid,refid,time,type,subtype,aclass,asset,amount,fee,balance", False),  # Kraken ledger
    ],
)
def test_detection(header: str, detected: bool) -> None:
    assert LAYOUT.detect(text_file(header + "\n")) is detected


def test_good_and_bad_rows_each_bad_row_at_its_physical_line() -> None:
    text = (
        HEADER + "\n"                                                                    # 1
        + "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC,,\n"                      # 2 good
        + '2024-03-01T12:01:00Z,kraken,trade,100,USD,0.002,BTC,,"a note\n'              # 3 good, note
        + 'over two lines"\n'                                                            # 4 (same row)
        + "2024-03-01T12:02:00Z,kraken,trade,100,USD,,BTC,,\n"                          # 5 bad
        + "\n"                                                                           # 6 blank
        + "2024-03-01T12:03:00Z,kraken,teleport,1,BTC,,,,\n"                             # 7 bad
        + "2024-03-01T12:04:00Z,kraken,deposit,,,1.5,BTC,D1,\n"                          # 8 good
    )  # fmt: skip
    result = LAYOUT.parse(text_file(text))
    assert [str(e) for e in result.errors] == [
        "g.csv:5: column 'received_quantity': is required when received_asset is given",
        f"g.csv:7: column 'type': unknown type (known: {KNOWN_TYPES}) (value 'teleport')",
    ]
    assert [e.source.line for e in result.events] == [2, 3, 8]
    assert result.events[1].note == "a note\nover two lines"
    assert result.events[2] == Deposit(
        time=datetime(2024, 3, 1, 12, 4, tzinfo=UTC), account="kraken", source=SourceRef("g.csv", 8),
        received=Amount(Decimal("1.5"), "BTC"), event_id="D1",
    )
    assert (result.rows_read, result.rows_in_events, result.rows_rejected) == (5, 3, 2)
    assert result.unaccounted == 0
    assert result.layout == "taxmargin-csv" and result.rows_per_event == (1, 1, 1)


def test_unknown_column_stops_the_file_naming_it() -> None:
    file = text_file("time,account,type,sent_qty\n2024-03-01,k,fee,1\n")
    with pytest.raises(InputError, match=r"^g\.csv: unknown column 'sent_qty' \(known: time, account, type, "):
        LAYOUT.parse(file)


def test_repeated_column_stops_the_file() -> None:
    with pytest.raises(InputError, match="column 'note' appears more than once"):
        LAYOUT.parse(text_file("time,account,type,note,note\n"))


def test_header_only_is_zero_rows() -> None:
    result = LAYOUT.parse(text_file(HEADER + "\n"))
    assert (result.events, result.errors, result.rows_read) == ((), (), 0)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_and_crlf(tmp_path: Path, newline: str, bom: bytes) -> None:
    lines = [HEADER, "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC,,",
             '2024-03-01T12:00:00Z,kraken,trade,100,USD,,BTC,,"x\r\ny"']
    path = tmp_path / "g.csv"
    path.write_bytes(bom + newline.join(lines).encode() + newline.encode())
    file = load_file(path)
    assert detect_layout(file, [LAYOUT]) is LAYOUT
    result = LAYOUT.parse(file)
    assert [e.source.line for e in result.events] == [2]
    assert [(e.source.line, e.column) for e in result.errors] == [(3, "received_quantity")]


def test_identical_rows_are_all_kept() -> None:
    # exchange-formats.md P12: several fills of one size in one second are real
    fill = "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC,,"
    result = LAYOUT.parse(text_file("\n".join([HEADER, fill, fill, fill]) + "\n"))
    assert len(result.events) == 3 and result.errors == ()
    assert [e.source.line for e in result.events] == [2, 3, 4]


def test_duplicate_id_with_different_content_is_a_row_error_on_the_later_row() -> None:
    text = "\n".join([
        HEADER,
        "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC,T1,",   # 2
        "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.003,BTC,T1,",   # 3 same id, different
        "2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC,T1,",   # 4 same id, same content
        "2024-03-01T12:00:00Z,binance,trade,100,USD,0.002,BTC,T1,",  # 5 other account: its own id
    ]) + "\n"  # fmt: skip
    result = LAYOUT.parse(text_file(text))
    assert [str(e) for e in result.errors] == [
        "g.csv:3: column 'id': id already used on line 2 with different content (value 'T1')"
    ]
    assert [e.source.line for e in result.events] == [2, 5]
    assert [(n.source.line, n.reason) for n in result.non_taxable] == [(4, "repeats line 2 (same id and content)")]
    assert result.unaccounted == 0


def test_row_with_more_cells_than_the_header() -> None:
    result = LAYOUT.parse(text_file("time,account,type\n2024-03-01,k,fee,extra\n2024-03-01,k,fee,,\n"))
    assert str(result.errors[0]) == "g.csv:2: column '(row)': has 4 cells but the header has 3"
    # trailing empty cells are tolerated; that row fails only for its missing sent side
    assert [(e.source.line, e.column) for e in result.errors] == [(2, "(row)"), (3, "sent_quantity")]


def test_short_rows_get_empty_cells() -> None:
    result = LAYOUT.parse(text_file(HEADER + "\n2024-03-01T12:00:00Z,kraken,trade,100,USD,0.002,BTC\n"))
    assert len(result.events) == 1 and result.errors == ()


def test_export_round_trip_keeps_sources_and_seq(tmp_path: Path) -> None:
    t = datetime(2024, 3, 1, tzinfo=UTC)
    src = SourceRef("binance statement.csv", 9)
    events = [
        Trade(time=t, account="binance", source=src, seq=0, sent=Amount(Decimal(100), "USDT"),
              received=Amount(Decimal("0.002"), "BTC"), fee=Amount(Decimal("0.00001"), "BNB"), note='says "hi", twice'),
        Trade(time=t, account="binance", source=src, seq=1, sent=Amount(Decimal(100), "USDT"),
              received=Amount(Decimal("0.002"), "BTC")),
        Transfer(time=t, account="binance", source=SourceRef("binance statement.csv", 10), to_account="cold",
                 sent=Amount(Decimal("0.004"), "BTC"), event_id="W1"),
    ]
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_csv(events, handle)
    result = LAYOUT.parse(load_file(path))
    assert result.errors == ()
    assert list(result.events) == events


def test_not_ours_is_unknown_format() -> None:
    with pytest.raises(UnknownFormat):
        detect_layout(text_file("date,amount\n2024-01-01,1\n"), [LAYOUT])


# ---- the line-by-line reader (no quotes) reads exactly what the csv module reads --------
CELLS = st.sampled_from(["", " ", "2024-03-01T12:00:00Z", "kraken", "trade", "deposit", "1", "0.50", "BTC", "usd",
                         "x y", "k.csv:9", "A1", "2024-01-01"])


@st.composite
def plain_files(draw: st.DrawFn) -> tuple[str, int]:
    """A quote-free file: a header (maybe permuted, maybe after preamble lines), rows of
    random width (short, exact, long with empty or non-empty extra cells), blank and
    whitespace lines, LF or CRLF line ends."""
    columns = draw(st.permutations(["time", "account", "type", "sent_quantity", "sent_asset", "received_quantity",
                                    "received_asset", "id", "note", "source"]))
    preamble = draw(st.integers(0, 2))
    lines = [f"preamble {i}" for i in range(preamble)] + [",".join(columns)]
    for _ in range(draw(st.integers(0, 12))):
        lines.append(draw(st.one_of(
            st.lists(CELLS, min_size=0, max_size=len(columns) + 2).map(",".join),
            st.just(f"2024-03-01T12:00:0{draw(st.integers(0, 9))}Z,kraken,trade,1,USD,0.5,BTC,,,"),
            st.sampled_from(["", "  ", ",,,"]),
        )))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + draw(st.sampled_from(["", end])), preamble


@settings(max_examples=150, deadline=None)
@given(plain_files())
def test_line_reader_reads_what_the_csv_module_reads(made: tuple[str, int]) -> None:
    text, header_index = made
    assert _plain_lines(text)
    by_lines, by_csv = _ParseState("g.csv"), _ParseState("g.csv")
    assert by_lines._read_lines(text, header_index) == by_csv._read_csv(text, header_index)
    for name in ("events", "texts", "errors", "skipped", "header"):
        assert getattr(by_lines, name) == getattr(by_csv, name), name


def test_files_the_line_reader_leaves_to_the_csv_module() -> None:
    assert not _plain_lines('time,account,type\n2024-03-01,k,"trade"\n')  # a quote
    assert not _plain_lines("time,account,type\r2024-03-01,k,trade\n")  # a lone CR ends a line
    assert _plain_lines("time,account,type\r\n2024-03-01,k,trade\r\n")
