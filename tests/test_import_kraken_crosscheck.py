"""Kraken ledgers.csv and trades.csv imported together: each trade is stored once, as the
ledger's event (exchange-formats.md P14: ledgers.csv is authoritative), whatever the order,
and trades.csv is cross-checked against the ledger (issue 4).

Expected numbers come from ../shared/samples/EXPECTED.md (cited per test) or are worked out
by hand from the rows (line cited beside each case).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from taxmargin import api
from taxmargin.api import FileImport
from taxmargin.importers import LAYOUTS
from taxmargin.importers.base import detect_layout, load_file
from taxmargin.ledger import Ledger
from taxmargin.models import Amount, EventBase, Trade
from tests.conftest import FIXTURES
from tests.importer_support import of_kind, run, total

KRAKEN = FIXTURES / "kraken"
D = Decimal


def test_royeharris_trades_match_ledger_ids(samples: Path) -> None:
    """EXPECTED.md "kraken/royeharris_trades_2024.csv": 23 fills (16 buys, 7 sells), none a
    margin trade although every row has a posttxid; txid = the ledger's refid."""
    trades = run(samples / "kraken/royeharris_trades_2024.csv")
    ledger = run(samples / "kraken/royeharris_ledgers_2024.csv")
    fills = of_kind(trades.events, Trade)
    assert len(fills) == 23 and not trades.non_taxable
    buys = [t for t in fills if t.received and t.received.asset == "USDT"]
    sells = [t for t in fills if t.sent and t.sent.asset == "USDT"]
    assert (len(buys), len(sells)) == (16, 7)
    # Buys: 12662.28602847 USDT for 9964.06686969 GBP, fee column 19.92813375 GBP
    assert total([t.received for t in buys]) == {"USDT": D("12662.28602847")}
    assert total([t.sent for t in buys]) == {"GBP": D("9964.06686969")}
    assert total([t.fee for t in buys]) == {"GBP": D("19.92813375")}
    # Sells: 8602.58628609 USDT for 6772.15868257 GBP, fee column 13.54431736 GBP
    assert total([t.sent for t in sells]) == {"USDT": D("8602.58628609")}
    assert total([t.received for t in sells]) == {"GBP": D("6772.15868257")}
    assert total([t.fee for t in sells]) == {"GBP": D("13.54431736")}
    assert {t.event_id for t in fills} == {t.event_id for t in of_kind(ledger.events, Trade)}


def import_in_order(folder: Path, names: Sequence[str], db: Path) -> list[FileImport]:
    """``taxmargin import`` of ``names`` (in that order) into the ledger ``db``."""
    with Ledger.open(db) as ledger:
        return [api.import_file(ledger, folder / name) for name in names]


def stored(db: Path) -> list[EventBase]:
    with Ledger.open(db) as ledger:
        return ledger.events()


def notes(done: Sequence[FileImport]) -> set[str]:
    """The per-event cross-check notes of every import (the summary line has no source)."""
    return {str(d) for f in done if f.record for d in f.record.diagnostics if d.code == "cross-check" and d.source}


ROYE = ["royeharris_ledgers_2024.csv", "royeharris_trades_2024.csv"]


@pytest.mark.parametrize("ledger_first", [True, False])
def test_ledger_and_trades_together_store_each_trade_once(samples: Path, tmp_path: Path, ledger_first: bool) -> None:
    """Importing ledgers.csv and trades.csv (either order) stores each trade once, and it is
    the ledger's event (P14: ledgers.csv is authoritative; issue 4: trades.csv is
    cross-checked against it): no conflict, the trades file exits 0."""
    names = ROYE if ledger_first else ROYE[::-1]
    done = import_in_order(samples / "kraken", names, tmp_path / "k.db")
    events = stored(tmp_path / "k.db")
    # 30 deposits + 29 withdrawals + 23 trades (EXPECTED.md), each stored once: exactly the
    # ledger file's own events (stored decimals drop trailing zeros; equal values)
    assert Counter(type(e).__name__ for e in events) == {"Deposit": 30, "Withdrawal": 29, "Trade": 23}
    assert events == sorted(run(samples / "kraken" / ROYE[0]).events, key=lambda e: e.sort_key)
    first = next(e for e in events if e.event_id == "TIIAWV-NWCDG-SZ4WV2")
    # the ledger's row 6 fee 2.9560 GBP, not trades.csv's estimate 2.95608082, in both orders
    assert first.fee == Amount(D("2.9560"), "GBP") and first.source.line == 6
    by_name = {f.file.name: f for f in done}
    ledger_import, trades_import = by_name[ROYE[0]], by_name[ROYE[1]]
    assert ledger_import.record and trades_import.record
    assert not ledger_import.record.conflicts and not trades_import.record.conflicts
    assert trades_import.exit_code == 0
    # the ledger's only non-zero exit: its one-legged trade TO2IGX (line 23) is rejected
    assert [e.source.line for e in ledger_import.result.errors] == [23]
    if ledger_first:  # the 23 fills are duplicates of the ledger's trades
        assert (trades_import.record.events_stored, trades_import.record.duplicates) == (0, 23)
        assert trades_import.record.reconciliation() == (
            "rows read 23 = stored 0 + duplicates 23 + non-taxable 0 + rejected 0")
    else:  # the ledger replaces the 23 trades stored from trades.csv (counted as stored)
        assert (ledger_import.record.events_stored, ledger_import.record.replaced) == (82, 23)
    # taxmargin check says exactly what it says of the ledger file alone (its balance
    # warnings come from the rejected line 23), and finds the ledger file sound
    import_in_order(samples / "kraken", ROYE[:1], tmp_path / "alone.db")
    both, alone = (api.check_ledger(tmp_path / name).report.diagnostics for name in ("k.db", "alone.db"))
    assert both == alone and not [d for d in both if d.severity == "error"]


def test_trades_cross_check_notes_do_not_depend_on_the_order(samples: Path, tmp_path: Path) -> None:
    """The same cross-check notes, at the trades.csv row and naming the ledger's row, in
    both orders; worked out by hand from the rows."""
    first = notes(import_in_order(samples / "kraken", ROYE, tmp_path / "a.db"))
    second = notes(import_in_order(samples / "kraken", ROYE[::-1], tmp_path / "b.db"))
    assert first == second
    warnings = sorted(n for n in first if ": warning: " in n)
    # ledger rows 65-66 and 69-70 carry a USDT fee withheld from the USDT received:
    # 1918 - 2 = 1916 and 204 - 0.27985506 = 203.72014494 (trades.csv lines 14, 15: vol 1918, 204)
    assert [w.split(": warning:")[0] for w in warnings] == [
        "royeharris_trades_2024.csv:14", "royeharris_trades_2024.csv:15"]
    assert "received 1918 USDT here, 1916 USDT there" in warnings[0]
    assert "cross-checked against royeharris_ledgers_2024.csv:65 (id 'TJFU3A-ART3U-QQQMER')" in warnings[0]
    assert "received 204 USDT here, 203.72014494 USDT there" in warnings[1]
    lines = {n.split(":")[1] for n in first}
    # line 2: fee 2.95608082 GBP vs the ledger's 2.9560 (row 6) agree at the ledger's 4 places
    assert "2" not in lines
    # line 6: fee 2.43795867 GBP rounds to 2.4380 / 2.4379, the ledger's row 24 says 2.4378
    assert ("royeharris_trades_2024.csv:6: info: [cross-check] cross-checked against royeharris_ledgers_2024.csv:24"
            " (id 'TUEZNB-AM2ZF-SEP5ST'): fee 2.43795867 GBP here, 2.4378 GBP there; the authoritative event from"
            " royeharris_ledgers_2024.csv:24 is the one stored (its fee is an estimate, exchange-formats.md P14)") in first


MARGIN = ["kraken_margin_ledgers_constructed.csv", "kraken_margin_trades_constructed.csv"]


@pytest.mark.parametrize("ledger_first", [True, False])
def test_constructed_margin_pair_in_either_order(samples: Path, tmp_path: Path, ledger_first: bool) -> None:
    """EXPECTED.md "kraken_margin_*_constructed.csv": the trades file's one spot fill
    TSPOT1 (buy 0.05 BTC for 2500 USD, fee 6.50 USD) agrees with ledger rows 10-11; its 4
    margin rows are non-taxable. Either order: exit 0 for both files, the ledger's events,
    no difference to report."""
    names = MARGIN if ledger_first else MARGIN[::-1]
    done = import_in_order(samples / "kraken", names, tmp_path / "m.db")
    assert [f.exit_code for f in done] == [0, 0]
    assert notes(done) == set()
    summary = [d for f in done if f.record for d in f.record.diagnostics]
    assert len(summary) == 1 and summary[0].code == "cross-check" and "1 " in summary[0].message
    events = stored(tmp_path / "m.db")
    assert events == sorted(run(samples / "kraken" / MARGIN[0]).events, key=lambda e: e.sort_key)
    (spot,) = of_kind(events, Trade)
    assert (spot.event_id, spot.source.line) == ("TSPOT1-AAAAA-AAAAA1", 10)
    assert api.check_ledger(tmp_path / "m.db").report.exit_code == 0


def test_classic_fixture_with_trades_fixture(tmp_path: Path) -> None:
    """fixtures/kraken/ledgers_classic.csv + trades_13.csv describe the same fills: the two
    spot trades share ids; margin fills add nothing; the ledger's fee (KFEE credits on
    TSPOT2) is what stays when the ledger is imported first."""
    ledger_module = pytest.importorskip("taxmargin.ledger")
    with ledger_module.Ledger.open(tmp_path / "k.db") as ledger:
        records = []
        for name in ("ledgers_classic.csv", "trades_13.csv"):
            file = load_file(KRAKEN / name)
            records.append(ledger.store(file, detect_layout(file, LAYOUTS).parse(file)))
        stored = ledger.events()
    assert records[1].events_stored == 0
    trades = [e for e in stored if type(e) is Trade]
    assert Counter(t.event_id for t in trades) == {
        "TSETTL-KRAKN-FIXT01": 1, "TSPOT1-KRAKN-FIXT01": 1, "TSPOT2-KRAKN-FIXT01": 1}
    spot2 = next(t for t in trades if t.event_id == "TSPOT2-KRAKN-FIXT01")
    assert spot2.fee is None  # ledger row 22: the fee was paid in KFEE credits
