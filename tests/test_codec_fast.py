"""taxmargin.codec_fast / codec_build: the fast path builds exactly what the full validator
builds, stores the codec's text, and the slot builders build what the constructors build."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from codec_cases import HERE, ROUND_TRIP, TRADE, VALID, row
from hypothesis import given, settings
from hypothesis import strategies as st

from taxmargin.codec import GENERIC_COLUMNS, stored_text
from taxmargin.codec_build import FIELDS, amount, builders, source_ref, specific_fields
from taxmargin.codec_fast import fast_cells, fast_event
from taxmargin.codec_rules import validate_cells
from taxmargin.errors import RowError
from taxmargin.models import EVENT_TYPES, Amount, Deposit, EventBase, RealizedPnl, SourceRef, Trade, Transfer

# ---- the fast path agrees with the full validator --------------------------------------
CELL = {
    "time": st.sampled_from(["2024-03-01T12:00:00Z", "2024-03-01 12:00", " 2024-03-01T12:00:00Z", "2008-01-01",
                             "2024-03-01T12:00:00+05:00", "x", ""]),
    "account": st.sampled_from(["kraken", " kraken", "", "a\tb", "k" * 101]),
    "type": st.sampled_from([*EVENT_TYPES, "Trade", "swap", ""]),
    "sent_quantity": st.sampled_from(["", "1", "0", "-1", "1e-8", "0.10", " 2", "1,000", "abc"]),
    "sent_asset": st.sampled_from(["", "BTC", "usd", "B!", " ETH"]),
    "received_quantity": st.sampled_from(["", "2.5", "0", "1E2", "00.5"]),
    "received_asset": st.sampled_from(["", "USDT", "eth"]),
    "fee_quantity": st.sampled_from(["", "0", "0.1", "-0"]),
    "fee_asset": st.sampled_from(["", "BNB", "x y"]),
    "usd_value": st.sampled_from(["", "10", "-1", "1e3", "1", "0.10", "2.5"]),  # (some equal to a quantity)
    "fee_usd_value": st.sampled_from(["", "0", "0.5", "0.1", "-0"]),
    "to_account": st.sampled_from(["", "", "cold", "kraken", " cold", "c\nold"]),
    "basis_usd": st.sampled_from(["", "", "10", "-1", "1e3", "0"]),
    "acquired": st.sampled_from(["", "", "2024-01-01T00:00:00Z", "2024-03-01T12:00:01Z", "2024-01-01", "x"]),
    "lots": st.sampled_from(["", "", "a;b"]),
    "id": st.sampled_from(["", "A1", " A1", "a;b"]),
    "note": st.sampled_from(["", "n", " n ", "x" * 1001]),
    "source": st.sampled_from(["", "f.csv:3", "bad", "f.csv:0", " f.csv:3"]),
}


@st.composite
def near_valid_rows(draw: st.DrawFn) -> dict[str, str]:
    """A valid row of some type with zero to two cells replaced by odd or bad values."""
    cells = dict(draw(st.sampled_from([cells for cells, _ in VALID])))
    for column in draw(st.lists(st.sampled_from(sorted(CELL)), max_size=2)):
        cells[column] = draw(CELL[column])
    return cells


@settings(max_examples=300, deadline=None)
@given(st.one_of(near_valid_rows(), st.fixed_dictionaries(CELL)))
def test_fast_path_builds_what_the_full_validator_builds(cells: dict[str, str]) -> None:
    errors: list[RowError] = []
    slow = validate_cells(cells, HERE, errors, seq=1)
    fast = fast_event(cells, HERE, 1)
    if fast is not None:
        assert errors == [] and fast == slow and repr(fast) == repr(slow)
        # ... and the stored text it gives the ledger is the codec's (ledger_cells)
        found = fast_cells([cells.get(column) or "" for column in GENERIC_COLUMNS], HERE, 1)
        assert found is not None and found[1] == stored_text(fast)
    assert (slow is None) == bool(errors)


@pytest.mark.parametrize(("cells", "text"), [
    # cells already canonical are stored as read
    (TRADE, "2024-03-01T12:00:00.000000Z\x1fkraken\x1ftrade\x1f100\x1fUSD\x1f0.002\x1fBTC" + "\x1f" * 10),
    # the codec's forms otherwise: trailing zeros dropped, codes upper-cased, fixed-width UTC
    # time, a zero fee (and its USD value) is no fee, acquired in export form
    (row(TRADE, time="2024-03-01T13:00:00.5+01:00", sent_quantity="100.50", sent_asset="usd", fee_quantity="0",
         fee_asset="USD", fee_usd_value="0"),
     "2024-03-01T12:00:00.500000Z\x1fkraken\x1ftrade\x1f100.5\x1fUSD\x1f0.002\x1fBTC" + "\x1f" * 10),
    (row(TRADE, type="deposit", sent_quantity="", sent_asset="", basis_usd="10.0", acquired="2024-01-01T00:00:00Z"),
     "2024-03-01T12:00:00.000000Z\x1fkraken\x1fdeposit\x1f\x1f\x1f0.002\x1fBTC\x1f\x1f\x1f\x1f\x1f\x1f10"
     "\x1f2024-01-01T00:00:00Z\x1f\x1f\x1f"),
])
def test_fast_path_stored_text(cells: dict[str, str], text: str) -> None:
    found = fast_cells([cells.get(column) or "" for column in GENERIC_COLUMNS], HERE, 0)
    assert found is not None and found[1] == text
    assert text == stored_text(found[0])


@pytest.mark.parametrize("event", ROUND_TRIP, ids=lambda e: type(e).__name__)
def test_builders_build_what_the_constructors_build(event: EventBase) -> None:
    """codec_build sets the slots directly: the same value, frozen, for every type."""
    build = builders()[type(event)]
    fields = {name: getattr(event, name, None) for name in FIELDS}
    fields["to_account"] = fields["to_account"] or ""
    built = build(*fields.values())
    assert built == event and repr(built) == repr(event) and hash(built) == hash(event)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.note = "changed"  # type: ignore[misc]
    assert amount(Decimal("1.5"), "BTC") == Amount(Decimal("1.5"), "BTC")
    assert source_ref("a.csv", 3) == SourceRef("a.csv", 3) and str(source_ref("a.csv", 3)) == "a.csv:3"


def test_specific_fields_per_type() -> None:
    # a builder ignores the others: the ledger's loader refuses a stored row giving them
    assert specific_fields(Trade) == frozenset()
    assert specific_fields(Deposit) == {"basis_usd", "acquired"} and specific_fields(Transfer) == {"to_account"}
    assert specific_fields(RealizedPnl) == {"acquired"}


def test_the_fast_path_takes_plain_rows() -> None:
    # the property above would say nothing if the fast path never accepted a row
    fast = [cells for cells, _ in VALID if fast_event(cells, HERE, 0) is not None]
    assert len(fast) >= 10
