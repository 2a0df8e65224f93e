"""Own-account transfer matching (tax-rules.md §4.0(5), §5.1): a withdrawal and the
deposit it became are one Transfer; anything else stays and is noted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from taxmargin.errors import Severity
from taxmargin.models import Amount, Deposit, EventBase, SourceRef, Trade, Transfer, Withdrawal
from taxmargin.transfers import match_transfers

D = Decimal
T0 = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
_line = iter(range(2, 100000))


def amt(text: str | None) -> Amount | None:
    if text is None:
        return None
    quantity, asset = text.split()
    return Amount(D(quantity), asset)


def withdrawal(account: str, sent: str, hours: float = 0, fee: str | None = None, **kw: Any) -> Withdrawal:
    return Withdrawal(
        time=T0 + timedelta(hours=hours), account=account, source=SourceRef("w.csv", next(_line)),
        sent=amt(sent), fee=amt(fee), **kw,
    )


def deposit(account: str, received: str, hours: float = 1, **kw: Any) -> Deposit:
    return Deposit(
        time=T0 + timedelta(hours=hours), account=account, source=SourceRef("d.csv", next(_line)),
        received=amt(received), **kw,
    )


@pytest.mark.parametrize(
    ("sent", "fee", "arrived", "transfer_fee"),
    [
        # gross: the withdrawn 1 BTC includes the 0.0005 fee; 0.9995 arrives
        ("1 BTC", "0.0005 BTC", "0.9995 BTC", "0.0005 BTC"),
        # net: the fee was charged on top of the 1 BTC sent; 1 BTC arrives
        ("1 BTC", "0.0005 BTC", "1 BTC", "0.0005 BTC"),
        # no fee recorded; 0.1% did not arrive: an unrecorded network fee (within 0.5%)
        ("1 BTC", None, "0.999 BTC", "0.001 BTC"),
        # everything arrived, no fee
        ("2.5 ETH", None, "2.5 ETH", None),
        # a fee in another asset stays; the units arrive whole
        ("10 SOL", "0.01 BNB", "10 SOL", "0.01 BNB"),
    ],
)
def test_matched_pair_becomes_one_transfer(sent: str, fee: str | None, arrived: str, transfer_fee: str | None) -> None:
    w = withdrawal("binance", sent, fee=fee, event_id="w1")
    d = deposit("ledger-wallet", arrived, hours=3)
    events, diagnostics = match_transfers([w, d])
    assert diagnostics == ()
    [transfer] = events
    assert isinstance(transfer, Transfer)
    assert transfer.account == "binance" and transfer.to_account == "ledger-wallet"
    assert transfer.sent == amt(arrived)
    assert transfer.fee == amt(transfer_fee)
    # the withdrawal's identity travels: source, id and time
    assert transfer.source == w.source and transfer.event_id == "w1" and transfer.time == w.time
    assert str(d.source) in transfer.note


@pytest.mark.parametrize(
    ("w", "d", "why"),
    [
        (withdrawal("a", "1 BTC"), deposit("b", "1 BTC", hours=49), "more than 2 days apart"),
        (withdrawal("a", "1 BTC"), deposit("b", "0.9 BTC"), "10% did not arrive"),
        (withdrawal("a", "1 BTC"), deposit("b", "1.1 BTC"), "more arrived than left"),
        (withdrawal("a", "1 BTC"), deposit("a", "1 BTC"), "same account"),
        (withdrawal("a", "1 BTC"), deposit("b", "1 ETH"), "other asset"),
        (withdrawal("a", "10 SOL", fee="0.01 BNB"), deposit("b", "9.9 SOL"), "other-asset fee, units short"),
    ],
)
def test_unmatched_pairs_stay_with_info_diagnostics(w: Withdrawal, d: Deposit, why: str) -> None:
    events, diagnostics = match_transfers([w, d])
    assert events == (w, d), why
    assert sorted(x.code for x in diagnostics) == ["unmatched-deposit", "unmatched-withdrawal"]
    assert all(x.severity is Severity.INFO for x in diagnostics)
    assert {x.source for x in diagnostics} == {w.source, d.source}


def test_a_deposit_with_carried_in_basis_is_from_outside() -> None:
    w = withdrawal("a", "1 BTC")
    d = deposit("b", "1 BTC", basis_usd=D("30000"), acquired=T0 - timedelta(days=400))
    events, diagnostics = match_transfers([w, d])
    assert events == (w, d)
    assert [x.code for x in diagnostics] == ["unmatched-withdrawal"]  # the deposit is explained


def test_fiat_moves_get_no_note() -> None:
    events, diagnostics = match_transfers([deposit("kraken", "5000 USD"), withdrawal("kraken", "100 EUR")])
    assert len(events) == 2 and diagnostics == ()


def test_nearest_deposit_wins_and_each_deposit_is_used_once() -> None:
    w1 = withdrawal("a", "1 BTC", hours=0)
    w2 = withdrawal("a", "1 BTC", hours=5)
    far = deposit("b", "1 BTC", hours=20)
    near = deposit("c", "1 BTC", hours=1)
    events, diagnostics = match_transfers([w1, w2, far, near])
    assert diagnostics == ()
    first, second = events
    assert isinstance(first, Transfer) and first.to_account == "c"  # w1 takes the nearer deposit
    assert isinstance(second, Transfer) and second.to_account == "b"


def test_deposit_recorded_slightly_before_the_withdrawal_still_matches() -> None:
    # two exchanges' clocks / time zones: the deposit row is 30 minutes earlier
    events, diagnostics = match_transfers([deposit("b", "1 BTC", hours=-0.5), withdrawal("a", "1 BTC")])
    assert diagnostics == ()
    [transfer] = events
    assert isinstance(transfer, Transfer) and transfer.to_account == "b"


def test_other_events_and_order_are_kept() -> None:
    trade = Trade(time=T0, account="a", source=SourceRef("t.csv", 2), sent=amt("1 USD"), received=amt("1 XYZ"))
    w = withdrawal("a", "1 BTC", hours=2)
    d = deposit("b", "1 BTC", hours=3)
    later: EventBase = Trade(
        time=T0 + timedelta(hours=5), account="b", source=SourceRef("t.csv", 3),
        sent=amt("1 BTC"), received=amt("100000 USD"),
    )
    events, _ = match_transfers([trade, w, d, later])
    assert events[0] is trade and events[2] is later
    assert isinstance(events[1], Transfer)


def test_many_transfers_are_matched_deterministically() -> None:
    pairs: list[EventBase] = []
    for i in range(2000):
        pairs.append(withdrawal("a", f"{i + 1} BTC", hours=i))
        pairs.append(deposit("b", f"{i + 1} BTC", hours=i + 0.5))
    events, diagnostics = match_transfers(pairs)
    again, _ = match_transfers(list(reversed(pairs)))
    assert len(events) == 2000 and diagnostics == ()
    assert all(isinstance(e, Transfer) for e in events)
    assert {(e.source, e.sent) for e in events} == {(e.source, e.sent) for e in again}
