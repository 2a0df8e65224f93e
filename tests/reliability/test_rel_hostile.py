"""Issue 7.3 "hostile and broken input": every file below gets a clear error or a safe
result, never a traceback, and a failed file leaves the ledger exactly as it was.

Each case is imported into a ledger that already holds one file (so "unchanged" is a real
comparison). A case expects either ``Refused(text)`` — the file is refused as a whole
(``InputError``, CLI exit 2) — or ``Read(...)`` — the rows counted, with the rejected rows
named by ``FILE:LINE`` and column.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from rel_support import GENERIC_HEADER, KRAKEN_HEADER, generic_csv, ledger_digest, no_traceback, run_cli

from taxmargin import api
from taxmargin.errors import InputError
from taxmargin.ledger import Ledger

GOOD = "2024-05-01T00:00:00Z,k,trade,100,USD,0.01,BTC,,,,"
BYBIT_HEADER = ("UID: 55667788,Company Name: ,Country: \nUid,Currency,Contract,Type,Direction,Quantity,Position,"
                "Filled Price,Funding,Fee Paid,Cash Flow,Change,Wallet Balance,Action,Time(UTC)")


@dataclass(frozen=True)
class Refused:
    message: str


@dataclass(frozen=True)
class Read:
    rows: int
    events: int  # events made (stored, or already in the ledger)
    rejected: tuple[tuple[int, str], ...] = ()  # (line, column) of each rejected row's first error


Expect = Refused | Read
Maker = Callable[[Path], Path]


def text(name: str, body: str, encoding: str = "utf-8") -> Maker:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(body.encode(encoding))
        return path

    return make


def raw(name: str, data: Callable[[], bytes]) -> Maker:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data())
        return path

    return make


def generic(name: str, *rows: str) -> Maker:
    return text(name, "\n".join([GENERIC_HEADER, *rows]) + "\n")


def garbage(with_nul: bool) -> bytes:
    """Random bytes; with NULs: one byte in ten is NUL (as in most binary formats)."""
    rng = random.Random(7)
    data = bytes(0 if with_nul and rng.random() < 0.1 else rng.randrange(1, 256) for _ in range(20_000))
    return data


def workbook(folder: Path) -> Path:
    """An Excel workbook given instead of its CSV export."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["time", "account", "type"])
    wb.active.append(["2024-01-01", "k", "deposit"])
    path = folder / "export.xlsx"
    wb.save(str(path))
    return path


def pdf(folder: Path) -> Path:
    from reportlab.pdfgen.canvas import Canvas

    path = folder / "statement.pdf"
    canvas = Canvas(str(path))
    canvas.drawString(72, 720, "time,account,type")
    canvas.save()
    return path


def big_field(folder: Path) -> Path:
    """A 50 MB field on one line between two good rows."""
    path = folder / "bigfield.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(GENERIC_HEADER + "\n" + GOOD + "\n")
        out.write("2024-05-02T00:00:00Z,k,trade,100,USD,0.01,BTC,,,," + "x" * 50_000_000 + "\n")
        out.write(GOOD.replace("05-01", "05-03") + "\n")
    return path


def big_quoted_field(folder: Path) -> Path:
    """A 50 MB quoted field of short lines (a reader that loses sync makes junk rows)."""
    path = folder / "bigquoted.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(GENERIC_HEADER + "\n" + GOOD + "\n" + '2024-05-02T00:00:00Z,k,trade,100,USD,0.01,BTC,,,,"')
        out.write("ab\n" * 16_700_000 + '"\n')
    return path


def million_columns(folder: Path) -> Path:
    path = folder / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n")
    return path


def million_cells_row(folder: Path) -> Path:
    path = folder / "widerow.csv"
    path.write_text(GENERIC_HEADER + "\n" + GOOD + "\n" + GOOD.replace("05-01", "05-02") + ",1" * 1_000_000 + "\n")
    return path


NUMBERS = ["1e999999", "NaN", "-0", "Infinity", "-Infinity", "sNaN", "1e-999999", "1E+19", "0x10", "1_000"]
#: generic columns holding numbers, and a row template putting ``{}`` there
NUMBER_COLUMNS = {
    "sent_quantity": "2024-05-01T00:00:00Z,k,trade,{},USD,0.01,BTC,,,,",
    "received_quantity": "2024-05-01T00:00:00Z,k,trade,100,USD,{},BTC,,,,",
    "fee_quantity": "2024-05-01T00:00:00Z,k,trade,100,USD,0.01,BTC,{},USD,,",
}
TIMES = ["9999-12-31T23:59:59Z", "2008-12-31T00:00:00Z", "0001-01-01", "2009-01-02T23:59:59Z",
         "2100-01-01T00:00:00Z", "99999-01-01", "2025-02-30T00:00:00Z", "2025-01-01T00:00:00+99:00"]


def numbers_file(column: str) -> Maker:
    return generic(f"numbers-{column}.csv", *(NUMBER_COLUMNS[column].format(n) for n in NUMBERS))


def kraken(name: str, *rows: str) -> Maker:
    return text(name, "\n".join([KRAKEN_HEADER, *rows]) + "\n")


def k_row(n: int, time: str = "2024-05-01 00:00:00", amount: str = "10.0000", fee: str = "0.0000",
          balance: str = "10.0000", txid: str = "") -> str:
    return f'"{txid or f"LX{n:04d}-AAAAA-BBBBBB"}","Q{n}","{time}","deposit","","currency","ZUSD",{amount},{fee},{balance}'


#: values read as a number after all: a fee of ``-0`` is zero, i.e. no fee. Everything else
#: is refused: not finite, too large (> 1e18), too many places (> 24), not a number (``0x10``;
#: ``1_000``, which Python's ``Decimal`` would read as 1000, money.parse_decimal), or zero.
ACCEPTED: dict[str, set[str]] = {"sent_quantity": set(), "received_quantity": set(), "fee_quantity": {"-0"},
                                 "amount": set()}


def number_rejections(column: str) -> tuple[tuple[int, str], ...]:
    return tuple((line, column) for line, value in enumerate(NUMBERS, start=2) if value not in ACCEPTED[column])


CASES: list[tuple[str, Maker, Expect]] = [
    ("empty file", text("empty.csv", ""), Refused("the file is empty")),
    ("blank lines only", text("blank.csv", " \n\n\t\n"), Refused("the file is empty")),
    ("generic header only", text("header.csv", GENERIC_HEADER + "\n"), Read(0, 0)),
    ("kraken header only", kraken("kheader.csv"), Read(0, 0)),
    ("bybit preamble and header only", text("bheader.csv", BYBIT_HEADER + "\n"), Read(0, 0)),
    ("binary garbage with NUL bytes", raw("garbage.bin", lambda: garbage(True)), Refused("binary content")),
    ("binary garbage without NUL bytes", raw("garbage2.bin", lambda: garbage(False)), Refused("unknown format")),
    ("an Excel workbook", workbook, Refused("binary content")),
    ("a PDF", pdf, Refused("unknown format")),
    ("a PNG image", raw("image.csv", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
     Refused("binary content")),
    ("UTF-16 LE with BOM", text("u16le.csv", "\ufeff" + GENERIC_HEADER + "\n" + GOOD + "café\n", "utf-16-le"),
     Read(1, 1)),
    ("UTF-16 BE with BOM", text("u16be.csv", "\ufeff" + GENERIC_HEADER + "\n" + GOOD + "café\n", "utf-16-be"),
     Read(1, 1)),
    ("UTF-16 without BOM", text("u16nobom.csv", GENERIC_HEADER + "\n" + GOOD + "\n", "utf-16-le"),
     Refused("binary content")),
    ("UTF-8 with BOM", text("bom.csv", "\ufeff" + GENERIC_HEADER + "\n" + GOOD + "café\n"), Read(1, 1)),
    ("cp1252 text", text("cp1252.csv", GENERIC_HEADER + "\n" + GOOD + "café 10 €\n", "cp1252"), Read(1, 1)),
    ("old Mac line ends (CR)", text("cr.csv", GENERIC_HEADER + "\r" + GOOD + "\r"), Read(1, 1)),
    ("50 MB single field on one line", big_field, Read(3, 2, ((3, "(row)"),))),
    ("50 MB quoted field over many lines", big_quoted_field, Refused("a quoted field is longer than 1,000,000")),
    ("a million columns", million_columns, Refused("unknown format")),
    ("a row of a million cells", million_cells_row, Read(2, 1, ((3, "(row)"),))),
    ("NUL bytes inside cells", text("nul.csv", GENERIC_HEADER + "\n" + GOOD.replace("trade", "tr\x00ade") + "\n"),
     Read(1, 1)),
    *[(f"hostile numbers in {column}", numbers_file(column),
       Read(len(NUMBERS), len(ACCEPTED[column]), number_rejections(column))) for column in NUMBER_COLUMNS],
    ("times out of range or unreadable", generic("times.csv", *(f"{t},k,deposit,,,1,BTC,,,," for t in TIMES)),
     Read(len(TIMES), 0, tuple((line, "time") for line in range(2, 2 + len(TIMES))))),
    ("duplicated id with different content", generic(
        "dupid.csv", "2024-05-01T00:00:00Z,k,deposit,,,1,BTC,,,X1,", "2024-05-01T00:00:00Z,k,deposit,,,2,BTC,,,X1,"),
     Read(2, 1, ((3, "id"),))),
    ("kraken hostile numbers", kraken("knum.csv", *(k_row(n, amount=v, balance="1") for n, v in enumerate(NUMBERS))),
     Read(len(NUMBERS), len(ACCEPTED["amount"]), number_rejections("amount"))),
    ("kraken hostile balances", kraken("kbal.csv", k_row(1, balance="NaN"), k_row(2, balance="1e999999")),
     Read(2, 0, ((2, "balance"), (3, "balance")))),
    ("kraken times out of range", kraken("ktime.csv", k_row(1, time="9999-01-01 00:00:00"),
                                         k_row(2, time="2008-06-01 00:00:00")), Read(2, 0, ((2, "time"), (3, "time")))),
    ("kraken duplicated txid with different content", kraken(
        "kdup.csv", k_row(1, txid="LDUP01-AAAAA-BBBBBB"),
        k_row(2, amount="20.0000", balance="30.0000", txid="LDUP01-AAAAA-BBBBBB")), Read(2, 1, ((3, "txid"),))),
    ("bybit hostile numbers", text("bnum.csv", BYBIT_HEADER + "\n" + "\n".join(
        f"55667788,USDT,,BONUS,--,0,0,0,0,0,{v},{v},1,--,2025-04-06 12:00:00" for v in ("NaN", "1e999999", "Infinity"))
        + "\n"), Read(3, 0, ((3, "Cash Flow"), (4, "Cash Flow"), (5, "Cash Flow")))),
]


def first_errors(result_errors: list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    seen: dict[int, str] = {}
    for line, column in result_errors:
        seen.setdefault(line, column)
    return tuple(sorted(seen.items()))


@pytest.fixture
def ledger_with_one_file(tmp_path: Path) -> Path:
    path = tmp_path / "taxmargin.db"
    with Ledger.open(path) as ledger:
        api.import_file(ledger, generic_csv(tmp_path / "first.csv", [GOOD]))
    return path


@pytest.mark.parametrize(("name", "make", "expect"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file(tmp_path: Path, ledger_with_one_file: Path, name: str, make: Maker, expect: Expect) -> None:
    path = make(tmp_path)
    before = ledger_digest(ledger_with_one_file)
    with Ledger.open(ledger_with_one_file) as ledger:
        if isinstance(expect, Refused):
            with pytest.raises(InputError, match=expect.message) as refused:
                api.import_file(ledger, path)
            assert str(refused.value).startswith(path.name) and len(str(refused.value)) < 600
            assert ledger_digest(ledger_with_one_file) == before  # nothing stored
            return
        done = api.import_file(ledger, path)
    assert done.record is not None and done.record.gap == 0
    assert (done.result.rows_read, len(done.result.events)) == (expect.rows, expect.events)
    assert first_errors([(e.source.line, e.column) for e in done.result.errors]) == expect.rejected
    assert all(str(e).startswith(f"{path.name}:") and len(str(e)) < 400 for e in done.result.errors)


def test_decoded_text_is_exact(tmp_path: Path) -> None:
    # the encodings above decode to the same note, character for character
    with Ledger.open(tmp_path / "l.db") as ledger:
        for _, make, _ in [c for c in CASES if c[0] in ("cp1252 text", "UTF-16 LE with BOM", "UTF-16 BE with BOM")]:
            api.import_file(ledger, make(tmp_path))
        notes = sorted({e.note for e in ledger.events()})
    assert notes == ["café", "café 10 €"]


def test_every_hostile_file_through_the_command_line(tmp_path: Path) -> None:
    """The same files in one ``taxmargin import`` run: one message per file, no traceback,
    exit 2 (the worst: some files could not be read); the good rows of the others stored."""
    small = [c for c in CASES if not c[0].startswith(("50 MB", "a million", "a row of a million"))]
    paths = [make(tmp_path).name for _, make, _ in small]
    done = run_cli(tmp_path, "import", *paths, timeout=300)
    assert done.returncode == 2 and no_traceback(done)
    for (_, _, expect), name in zip(small, paths):
        if isinstance(expect, Refused):
            assert f"error: {name}: " in done.stderr
        else:
            assert f"{name}: format " in done.stdout
    assert f"{len(paths)} files; exit status 2" in done.stdout


def test_an_id_reused_across_files_keeps_the_stored_event(tmp_path: Path) -> None:
    generic_csv(tmp_path / "a.csv", ["2024-05-01T00:00:00Z,k,deposit,,,1,BTC,,,X1,"])
    generic_csv(tmp_path / "b.csv", ["2024-05-01T00:00:00Z,k,deposit,,,5,BTC,,,X1,"])
    assert run_cli(tmp_path, "import", "a.csv").returncode == 0
    done = run_cli(tmp_path, "import", "b.csv")
    assert done.returncode == 1 and "b.csv:2: event id 'X1'" in done.stdout
    with Ledger.open(tmp_path / "taxmargin.db") as ledger:
        [event] = ledger.events()
    assert event.received is not None and event.received.quantity == Decimal(1)
